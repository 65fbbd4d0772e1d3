import { rmSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { synthMiniStack, writeHandlers } from "../../test/fixtures/mini-stack.ts";
import { readAssembly } from "./assembly.ts";
import { checkStack, DeployError } from "./deploy-checks.ts";
import { type LocalStack, readStack } from "./template-reader.ts";

describe("deploy checks", () => {
  const { repoRoot, eventsFile } = writeHandlers();
  const assembly = synthMiniStack(
    { topic: "mini.topic", batchSize: 7, bucketName: "mini-lake", retryAttempts: 2 },
    eventsFile,
  );
  const stack = readStack(readAssembly(assembly)[0]!, repoRoot, "us-east-1");
  const [kafka] = stack.kafkaMappings;
  afterAll(() => {
    rmSync(assembly, { recursive: true, force: true });
    rmSync(repoRoot, { recursive: true, force: true });
  });

  /** The violations checkStack reports for a stack, [] when it passes. */
  const violationsOf = (s: LocalStack) => {
    try {
      checkStack(s);
      return [];
    } catch (error) {
      expect(error).toBeInstanceOf(DeployError);
      return (error as DeployError).violations;
    }
  };
  /** The mini stack's template with one resource's properties changed. */
  const withProperties = (type: string, change: Record<string, unknown>): LocalStack => {
    const resources = Object.fromEntries(
      Object.entries(stack.context.template.Resources).map(([id, r]) => [
        id,
        r.Type === type ? { ...r, Properties: { ...r.Properties, ...change } } : r,
      ]),
    );
    return {
      ...stack,
      context: { ...stack.context, template: { ...stack.context.template, Resources: resources } },
    };
  };

  it("passes a stack AWS would create", () => {
    expect(violationsOf(stack)).toEqual([]);
  });

  it("refuses Kafka mappings that share a consumer group id, naming both", () => {
    // Arrange: the template's shape before each land-records topic got its own group.
    const twin = { ...kafka!, id: "EchoTwinMapping", topics: ["other.topic"] };

    // Act
    const violations = violationsOf({ ...stack, kafkaMappings: [kafka!, twin] });

    // Assess
    expect(violations.map((v) => v.logicalId).sort()).toEqual([kafka!.id, "EchoTwinMapping"].sort());
    expect(violations[0]?.message).toContain("must be unique among all your Kafka event sources");
  });

  it("refuses Kafka batch sizes, windows and retries outside AWS's bounds, every one in one error", () => {
    const bad = [
      { ...kafka!, id: "Zero", groupId: "g0", batchSize: 0 },
      { ...kafka!, id: "Huge", groupId: "g1", batchSize: 10_001 },
      { ...kafka!, id: "Slow", groupId: "g2", batchingWindowMs: 301_000 },
      { ...kafka!, id: "Stubborn", groupId: "g3", maxRetryAttempts: 10_001, onFailureArn: undefined },
      { ...kafka!, id: "Capped", groupId: "g4", maxRetryAttempts: 11, onFailureArn: "arn:aws:sqs:x:1:q" },
    ];

    const violations = violationsOf({ ...stack, kafkaMappings: bad });

    expect(violations.map((v) => v.logicalId)).toEqual(["Zero", "Huge", "Slow", "Stubborn", "Capped"]);
    expect(violations[0]?.message).toBe(
      "1 validation error detected: Value '0' at 'batchSize' failed to satisfy constraint: Member must have value greater than or equal to 1",
    );
    expect(violations[1]?.message).toContain("less than or equal to 10000");
    expect(violations[2]?.message).toContain("'maximumBatchingWindowInSeconds'");
    expect(violations[4]?.message).toContain("less than or equal to 10 (with an on-failure destination)");
    expect(() => checkStack({ ...stack, kafkaMappings: bad })).toThrow(
      /MiniStack: CREATE_FAILED, 5 resource/,
    );
  });

  it("accepts Kafka's unlimited retries (-1) and the 10,000 edge", () => {
    const edge = [
      {
        ...kafka!,
        id: "Edge",
        groupId: "g0",
        batchSize: 10_000,
        maxRetryAttempts: -1,
        onFailureArn: undefined,
      },
    ];
    expect(violationsOf({ ...stack, kafkaMappings: edge })).toEqual([]);
  });

  it("refuses an SQS batch over 10 without a window of at least 1 s, and FIFO batches over 10", () => {
    const queue = {
      id: "Loader",
      functionName: "f",
      queueArn: "arn:aws:sqs:us-east-1:000000000000:q",
      batchSize: 100,
      batchingWindowMs: 0,
      reportBatchItemFailures: true,
      maximumConcurrency: undefined,
    };
    const fifo = {
      ...queue,
      id: "Fifo",
      queueArn: `${queue.queueArn}.fifo`,
      batchSize: 11,
      batchingWindowMs: 1000,
    };
    const windowed = { ...queue, id: "Windowed", batchSize: 10_000, batchingWindowMs: 1000 };

    const violations = violationsOf({ ...stack, queueMappings: [queue, fifo, windowed] });

    expect(violations).toEqual([
      {
        logicalId: "Loader",
        message:
          "Invalid request provided: Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10",
      },
      {
        logicalId: "Fifo",
        message:
          "1 validation error detected: Value '11' at 'batchSize' failed to satisfy constraint: Member must have value less than or equal to 10",
      },
    ]);
  });

  it("refuses a function timeout over 900 s and memory outside 128–10,240 MB", () => {
    const timeouts = violationsOf(withProperties("AWS::Lambda::Function", { Timeout: 901 }));
    // Every function of the template, CDK's helpers too (the mini stack has Echo, Flaky and one).
    expect(timeouts.length).toBe(
      Object.values(stack.context.template.Resources).filter((r) => r.Type === "AWS::Lambda::Function")
        .length,
    );
    expect(timeouts.every((v) => v.message.includes("'timeout'") && v.message.includes("900"))).toBe(true);
    const memory = violationsOf(withProperties("AWS::Lambda::Function", { MemorySize: 10_241 }));
    expect(memory[0]?.message).toContain("'memorySize'");
    expect(
      violationsOf(withProperties("AWS::Lambda::Function", { Timeout: 900, MemorySize: 10_240 })),
    ).toEqual([]);
  });

  it("refuses an SQS mapping's ScalingConfig.MaximumConcurrency outside 2–1,000", () => {
    const queue = {
      id: "Single",
      functionName: "f",
      queueArn: "arn:aws:sqs:us-east-1:000000000000:q",
      batchSize: 10,
      batchingWindowMs: 0,
      reportBatchItemFailures: false,
      maximumConcurrency: 1,
    };
    const edges = [2, 1_000].map((maximumConcurrency, n) => ({
      ...queue,
      id: `Edge${n}`,
      maximumConcurrency,
    }));

    const violations = violationsOf({ ...stack, queueMappings: [queue, ...edges] });

    expect(violations).toEqual([
      {
        logicalId: "Single",
        message:
          "1 validation error detected: Value '1' at 'maximumConcurrency' failed to satisfy constraint: Member must have value greater than or equal to 2",
      },
    ]);
  });

  it("refuses negative reserved concurrency, and reservations that leave the account under 100 unreserved", () => {
    const functions = Object.values(stack.context.template.Resources).filter(
      (r) => r.Type === "AWS::Lambda::Function",
    ).length;

    const negative = violationsOf(
      withProperties("AWS::Lambda::Function", { ReservedConcurrentExecutions: -1 }),
    );
    // Each function reserves 900 ÷ functions, rounded up: together over the 900 the account can spare.
    const over = violationsOf(
      withProperties("AWS::Lambda::Function", {
        ReservedConcurrentExecutions: Math.ceil(900 / functions) + 1,
      }),
    );
    const fits = violationsOf(
      withProperties("AWS::Lambda::Function", { ReservedConcurrentExecutions: Math.floor(900 / functions) }),
    );

    expect(negative).toHaveLength(functions);
    expect(negative[0]?.message).toContain("'reservedConcurrentExecutions' failed to satisfy constraint");
    expect(over).toHaveLength(1);
    expect(over[0]?.message).toBe(
      "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [100].",
    );
    expect(fits).toEqual([]);
  });

  it("refuses a state machine without a definition", () => {
    const violations = violationsOf(
      withProperties("AWS::StepFunctions::StateMachine", {
        Definition: undefined,
        DefinitionString: undefined,
      }),
    );
    expect(violations).toHaveLength(1);
    expect(violations[0]?.logicalId).toBe(stack.stateMachines[0]?.id);
  });

  it("refuses a schedule target's RetryPolicy outside 0–185 retries and 60–86,400 s, a dead-letter queue that is no SQS queue, and a missing FlexibleTimeWindow", () => {
    // Prepare: two schedules the mini stack does not have, as CreateSchedule would get them.
    const schedule = (properties: Record<string, unknown>) => ({
      Type: "AWS::Scheduler::Schedule",
      Properties: { ScheduleExpression: "rate(1 hour)", ...properties },
    });
    const template = {
      ...stack.context.template,
      Resources: {
        ...stack.context.template.Resources,
        TooMany: schedule({
          FlexibleTimeWindow: { Mode: "OFF" },
          Target: { RetryPolicy: { MaximumRetryAttempts: 186, MaximumEventAgeInSeconds: 59 } },
        }),
        AtBounds: schedule({
          FlexibleTimeWindow: { Mode: "OFF" },
          Target: { RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 } },
        }),
        NoWindow: schedule({ Target: {} }),
      },
    };
    const base = { expression: "rate(1 hour)", targetArn: "arn", input: {}, enabled: true, roleArn: "r" };
    const retryPolicy = { maximumRetryAttempts: 185, maximumEventAgeSeconds: 86_400 };
    const schedules = [
      {
        ...base,
        id: "ToTopic",
        arn: "a",
        retryPolicy,
        deadLetterArn: "arn:aws:sns:us-east-1:000000000000:t",
      },
      {
        ...base,
        id: "ToQueue",
        arn: "a",
        retryPolicy,
        deadLetterArn: "arn:aws:sqs:us-east-1:000000000000:q",
      },
    ];

    // Act
    const violations = violationsOf({ ...stack, schedules, context: { ...stack.context, template } });

    // Assess
    expect(violations.map((v) => v.logicalId)).toEqual(["ToTopic", "TooMany", "TooMany", "NoWindow"]);
    expect(violations[0]?.message).toContain("'target.deadLetterConfig.arn' failed to satisfy constraint");
    expect(violations[1]?.message).toContain(
      "Value '186' at 'target.retryPolicy.maximumRetryAttempts' failed to satisfy constraint: Member must have value less than or equal to 185",
    );
    expect(violations[2]?.message).toContain(
      "Value '59' at 'target.retryPolicy.maximumEventAgeInSeconds' failed to satisfy constraint: Member must have value greater than or equal to 60",
    );
    expect(violations[3]?.message).toContain("[FlexibleTimeWindow]");
  });

  it("refuses a schedule expression EventBridge Scheduler refuses, with its ValidationException", () => {
    const schedules = [
      {
        id: "EveryMonthStep",
        expression: "cron(0 0 1 */3 ? *)",
        targetArn: "arn",
        input: {},
        enabled: true,
        roleArn: "r",
        arn: "arn:aws:scheduler:us-east-1:000000000000:schedule/default/s",
        retryPolicy: { maximumRetryAttempts: 185, maximumEventAgeSeconds: 86_400 },
      },
      {
        id: "BothDays",
        expression: "cron(0 12 * * * *)",
        targetArn: "arn",
        input: {},
        enabled: true,
        roleArn: "r",
        arn: "arn:aws:scheduler:us-east-1:000000000000:schedule/default/s",
        retryPolicy: { maximumRetryAttempts: 185, maximumEventAgeSeconds: 86_400 },
      },
      {
        id: "PluralOne",
        expression: "rate(1 minutes)",
        targetArn: "arn",
        input: {},
        enabled: true,
        roleArn: "r",
        arn: "arn:aws:scheduler:us-east-1:000000000000:schedule/default/s",
        retryPolicy: { maximumRetryAttempts: 185, maximumEventAgeSeconds: 86_400 },
      },
    ];
    const violations = violationsOf({ ...stack, schedules });
    expect(violations.map((v) => v.logicalId)).toEqual(["BothDays", "PluralOne"]);
    expect(violations[0]?.message).toContain("ValidationException: Invalid Schedule Expression");
  });
});
