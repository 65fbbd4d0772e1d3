import { describe, expect, it } from "vitest";
import { validateScheduleExpression } from "../core/schedule/expression.ts";
import { functionId, resourcesOf, synthesize } from "../test/fixtures/stacks.ts";
import { configFromContext, InfraConfigError, type InfraConfigInput, parseInfraConfig } from "./config.ts";
import { datasetTopics } from "./functions.ts";

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

  it.each([
    "rate(1 hour)",
    "rate(30 minutes)",
    "cron(0 2 * * ? *)",
    "cron(0 6 ? * MON-FRI *)",
    "cron(0 3 L * ? *)",
    "at(2027-01-01T00:00:00)",
  ])("accepts the Scheduler expression %s", (schedule) => {
    expect(parseInfraConfig({ schedule }).schedule).toBe(schedule);
  });

  it.each([
    [
      "cron(0 2 * * * *)",
      /Invalid Schedule Expression cron\(0 2 \* \* \* \*\)\..*day-of-month and day-of-week/,
    ],
    ["cron(0 2 * * *)", /cron needs 6 fields/],
    ["rate(1 hours)", /singular unit hour/],
    ["rate(2 day)", /a rate of 2 takes days/],
    ["cron(0 2 ? * 0 *)", /day-of-week: 0 is outside 1–7/],
    ["at(2027-02-30T00:00:00)", /Invalid Schedule Expression at/],
  ])("refuses %s at synth as EventBridge Scheduler would", (schedule, message) => {
    const act = () => parseInfraConfig({ schedule });

    expect(act).toThrow(InfraConfigError);
    expect(act).toThrow(message);
  });

  it("defaults landing to batches of 5,000 from every dataset topic", () => {
    const config = parseInfraConfig({ target: "local" });

    expect(config.landingBatchSize).toBe(5_000);
    expect(config.landingTopics).toBeUndefined();
  });

  it("leaves the stock poller off unless configured, and wires the configured source", () => {
    const envOf = (context: Record<string, string>) => {
      const { template } = synthesize({ target: "local", ...context });
      const poller = resourcesOf(template, "AWS::Lambda::Function")[functionId(template, "stock-poller")];
      return (
        (poller?.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ??
        {}
      );
    };

    expect(parseInfraConfig({}).stockPoller).toBe("off");
    expect(envOf({}).STOCK_POLLER_SOURCE).toBe("off");
    expect(envOf({ stockPoller: "https://quotes.example/v1" })).toMatchObject({
      STOCK_POLLER_SOURCE: "api",
      QUOTES_API_URL: "https://quotes.example/v1",
    });
    expect(() => parseInfraConfig({ stockPoller: "http://quotes.example" })).toThrow(/stockPoller/);
  });

  it("rejects a landing batch size beyond MSK's 10,000 and topics no dataset declares", () => {
    const act = () => parseInfraConfig({ landingBatchSize: "20000", landingTopics: "elections.votes,nope" });

    expect(act).toThrow(/landingBatchSize.*landingTopics/);
  });

  it("synthesizes land-records' mappings with the configured batch size and topics only", () => {
    const { template } = synthesize({
      target: "local",
      landingBatchSize: 250,
      landingTopics: "elections.votes,sales.orders",
    });

    const landRecords = functionId(template, "land-records");
    const mappings = Object.values(resourcesOf(template, "AWS::Lambda::EventSourceMapping")).filter(
      (m) => (m.Properties?.FunctionName as { Ref?: string } | undefined)?.Ref === landRecords,
    );
    expect(mappings.map((m) => m.Properties?.Topics).sort()).toEqual([["elections.votes"], ["sales.orders"]]);
    expect(mappings.map((m) => m.Properties?.BatchSize)).toEqual([250, 250]);
    expect(datasetTopics.length).toBeGreaterThan(2);
  });

  it("synthesizes load-raw's S3 → SQS mapping on Snowflake with the configured batching window, within SQS's 0–300 s", () => {
    const windowOf = (context: InfraConfigInput) => {
      const { template } = synthesize({ target: "local", warehouse: "snowflake", ...context });
      const loadRaw = functionId(template, "load-raw");
      return Object.values(resourcesOf(template, "AWS::Lambda::EventSourceMapping"))
        .filter((m) => (m.Properties?.FunctionName as { Ref?: string } | undefined)?.Ref === loadRaw)
        .map((m) => m.Properties?.MaximumBatchingWindowInSeconds);
    };

    expect(windowOf({})).toEqual([60]);
    expect(windowOf({ snowflakeLoadBatchingWindowSeconds: "5" })).toEqual([5]);
    expect(() => parseInfraConfig({ snowflakeLoadBatchingWindowSeconds: "301" })).toThrow(
      /snowflakeLoadBatchingWindowSeconds/,
    );
  });

  it("synthesizes only schedules EventBridge Scheduler accepts (the configured one and the registry's)", () => {
    const { template } = synthesize({ target: "local", schedule: "cron(30 4 ? * MON-FRI *)" });

    const schedules = Object.values(resourcesOf(template, "AWS::Scheduler::Schedule"));
    const expressions = schedules.map((s) => String(s.Properties?.ScheduleExpression));
    expect(expressions).toContain("cron(30 4 ? * MON-FRI *)");
    for (const s of schedules)
      expect(() =>
        validateScheduleExpression(
          String(s.Properties?.ScheduleExpression),
          s.Properties?.ScheduleExpressionTimezone as string | undefined,
        ),
      ).not.toThrow();
  });
});
