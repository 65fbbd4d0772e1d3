import { describe, expect, it } from "vitest";
import { configFromContext, InfraConfigError, parseInfraConfig } from "./config.ts";

describe("infra configuration", () => {
  it("defaults to AWS: MSK Serverless, Snowflake, no NAT, retained data, hourly runs", () => {
    const config = parseInfraConfig({});

    expect(config).toMatchObject({
      target: "aws",
      envName: "dev",
      warehouse: "snowflake",
      kafkaMode: "serverless",
      natGateway: false,
      removalPolicy: "retain",
      schedule: "rate(1 hour)",
    });
  });

  it("defaults the local target to PostgreSQL, the local broker and the emulator", () => {
    const config = parseInfraConfig({ target: "local" });

    expect(config).toMatchObject({
      envName: "local",
      warehouse: "postgres",
      localKafkaBrokers: "127.0.0.1:9092",
      localAwsEndpoint: "http://127.0.0.1:4566",
    });
  });

  it("reads `-c key=value` strings from context, booleans included", () => {
    const context: Record<string, string> = {
      natGateway: "true",
      logRetentionDays: "7",
      kafkaMode: "provisioned",
    };

    const config = configFromContext((key) => context[key]);

    expect(config).toMatchObject({ natGateway: true, logRetentionDays: 7, kafkaMode: "provisioned" });
  });

  it("names every invalid key in one error", () => {
    const act = () =>
      parseInfraConfig({
        target: "gcp",
        schedule: "every hour",
        alertEmail: "nobody",
        logRetentionDays: "8",
      });

    expect(act).toThrow(InfraConfigError);
    expect(act).toThrow(/target.*schedule.*alertEmail.*logRetentionDays/);
  });
});
