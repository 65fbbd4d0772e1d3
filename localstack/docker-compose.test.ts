import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

interface ComposeService {
  profiles?: string[];
  image?: string;
  ports?: string[];
  build?: { context: string; dockerfile: string };
  environment?: Record<string, string>;
  command?: string[];
}

const compose = parse(readFileSync(join(import.meta.dirname, "docker-compose.yml"), "utf8")) as {
  services: Record<string, ComposeService>;
};

describe("localstack/docker-compose.yml", () => {
  it("declares LocalStack, Redpanda, PostgreSQL and dbt, all in the `local` profile", () => {
    // Act
    const services = compose.services;

    // Assess
    expect(Object.keys(services).sort()).toEqual(["dbt", "localstack", "postgres", "redpanda"]);
    for (const service of Object.values(services)) expect(service.profiles).toEqual(["local"]);
  });

  it("publishes the same ports as the native services, on loopback only", () => {
    // Act
    const ports = Object.fromEntries(
      Object.entries(compose.services).map(([name, s]) => [name, s.ports ?? []]),
    );

    // Assess
    expect(ports).toEqual({
      localstack: ["127.0.0.1:4566:4566"],
      redpanda: ["127.0.0.1:9092:9092"],
      postgres: ["127.0.0.1:5432:5432"],
      dbt: [],
    });
  });

  it("pins a LocalStack tag that runs without an auth token, and passes a token when given", () => {
    // Act
    const { image, environment } = compose.services.localstack as ComposeService;

    // Assess: the default is a 4.x tag (released before tokens became mandatory), never `latest`.
    expect(image).toMatch(/^\$\{LOCALSTACK_IMAGE:-localstack\/localstack:4\.\d+\.\d+\}$/);
    expect(environment?.LOCALSTACK_AUTH_TOKEN).toMatch(/^\$\{LOCALSTACK_AUTH_TOKEN:-\}$/);
  });

  it("creates the warehouse database for the pipeline role and keeps Kafka topic creation explicit", () => {
    // Act
    const postgres = compose.services.postgres as ComposeService;
    const redpanda = compose.services.redpanda as ComposeService;

    // Assess
    expect(postgres.image).toBe("postgres:15");
    expect(postgres.environment).toMatchObject({
      POSTGRES_USER: "pipeline",
      POSTGRES_PASSWORD: "pipeline",
      POSTGRES_DB: "warehouse",
    });
    expect(redpanda.command).toContain("--set=redpanda.auto_create_topics_enabled=false");
    expect(redpanda.command).toContain("--advertise-kafka-addr=PLAINTEXT://127.0.0.1:9092");
  });

  it("builds dbt from dbt/Dockerfile and points it at the Compose PostgreSQL", () => {
    // Act
    const dbt = compose.services.dbt as ComposeService;

    // Assess
    expect(dbt.build).toEqual({ context: "../dbt", dockerfile: "Dockerfile" });
    expect(dbt.environment).toMatchObject({
      DBT_TARGET: "local",
      PGHOST: "postgres",
      PGDATABASE: "warehouse",
    });
  });
});
