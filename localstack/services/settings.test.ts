import { describe, expect, it } from "vitest";
import { ServicesError } from "./errors.ts";
import { clientEnv, REPO_ROOT, servicesSettings } from "./settings.ts";

describe("services settings", () => {
  it("defaults to the shared ports and the repo's ignored cache folder", () => {
    // Act
    const settings = servicesSettings({});

    // Assess
    expect(settings.ports).toEqual({
      kafka: 9092,
      kafkaController: 9093,
      kafkaIam: 9096,
      postgres: 5432,
      awsEmulator: 4566,
      snowflake: 4567,
    });
    expect(settings.cacheDir).toBe(`${REPO_ROOT}/.cache`);
    expect(settings.stateDir).toBe(`${REPO_ROOT}/.cache/services`);
  });

  it("lets a second set of services run on other ports and another state dir", () => {
    // Act
    const settings = servicesSettings({
      KAFKA_PORT: "19092",
      PGPORT: "15432",
      AWS_EMULATOR_PORT: "14566",
      PIPELINE_SERVICES_DIR: "/tmp/other-services",
    });

    // Assess
    expect(settings.ports).toEqual({
      kafka: 19092,
      kafkaController: 19093,
      kafkaIam: 19096,
      postgres: 15432,
      awsEmulator: 14566,
      snowflake: 14567,
    });
    expect(settings.stateDir).toBe("/tmp/other-services");
    expect(clientEnv(settings)).toMatchObject({
      KAFKA_BROKERS: "127.0.0.1:19092",
      KAFKA_IAM_BROKERS: "127.0.0.1:19096",
      DATABASE_URL: "postgres://pipeline:pipeline@127.0.0.1:15432/warehouse",
      AWS_ENDPOINT_URL: "http://127.0.0.1:14566",
    });
  });

  it("rejects a port that is not a port, naming the variable", () => {
    // Act
    const read = () => servicesSettings({ PGPORT: "54x32" });

    // Assess
    expect(read).toThrow(ServicesError);
    expect(read).toThrow(/PGPORT/);
  });
  it("takes the Kafka JVM's options from Kafka's own variables, G1 and a 1 GB heap by default", () => {
    // Act
    const defaults = servicesSettings({});
    const tests = servicesSettings({
      KAFKA_HEAP_OPTS: "-Xmx512m",
      KAFKA_JVM_PERFORMANCE_OPTS: " -XX:+UseG1GC  -XX:TieredStopAtLevel=1 ",
    });

    // Assess
    expect(defaults.kafkaJvm).toEqual({ heap: ["-Xms256m", "-Xmx1g"], performance: ["-XX:+UseG1GC"] });
    expect(tests.kafkaJvm).toEqual({
      heap: ["-Xmx512m"],
      performance: ["-XX:+UseG1GC", "-XX:TieredStopAtLevel=1"],
    });
  });
});
