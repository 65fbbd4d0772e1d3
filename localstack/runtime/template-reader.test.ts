import { rmSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../core/config/index.ts";
import { synthMiniStack, writeHandlers } from "../../test/fixtures/mini-stack.ts";
import { readAssembly } from "./assembly.ts";
import { readStack } from "./template-reader.ts";

describe("template reader", () => {
  const { repoRoot, eventsFile } = writeHandlers();
  const assembly = synthMiniStack(
    {
      topic: "mini.topic",
      batchSize: 7,
      bucketName: "mini-lake",
      retryAttempts: 2,
      onFailureBucketName: "mini-failures",
    },
    eventsFile,
  );
  afterAll(() => {
    rmSync(assembly, { recursive: true, force: true });
    rmSync(repoRoot, { recursive: true, force: true });
  });

  it("finds the functions, their handler modules and their environment", () => {
    // Act
    const stack = readStack(readAssembly(assembly)[0]!, repoRoot, "us-east-1");

    // Assess
    const echo = stack.functions.find((f) => f.pipelineFunction === "echo");
    expect(echo?.modulePath).toBe(`${repoRoot}/lambdas/echo/index.ts`);
    expect(echo?.environment.GREETING).toBe("hello from Echo");
    expect(echo?.timeoutSeconds).toBe(10);
    expect(stack.functions.map((f) => f.pipelineFunction).sort()).toEqual(["echo", "flaky"]);
  });

  it("reads the Kafka mapping's batch size, window, topic, retries and destination from the template", () => {
    const stack = readStack(readAssembly(assembly)[0]!, repoRoot, "us-east-1");

    expect(stack.kafkaMappings).toHaveLength(1);
    expect(stack.kafkaMappings[0]).toMatchObject({
      topics: ["mini.topic"],
      brokers: loadConfig().kafka.brokers,
      groupId: "mini-mini.topic",
      batchSize: 7,
      batchingWindowMs: 1000,
      startingPosition: "TRIM_HORIZON",
      maxRetryAttempts: 2,
      onFailureArn: "arn:aws:s3:::mini-failures",
    });
  });

  it("reads S3 notifications, buckets and the state machine definition with intrinsics resolved", () => {
    const stack = readStack(readAssembly(assembly)[0]!, repoRoot, "us-east-1");

    expect(stack.notifications).toEqual([
      expect.objectContaining({ bucket: "mini-lake", prefix: "in/", events: ["s3:ObjectCreated:*"] }),
    ]);
    expect(
      stack.resources
        .filter((r) => r.type === "bucket")
        .map((r) => r.name)
        .sort(),
    ).toEqual(["mini-failures", "mini-lake"]);
    const machine = stack.stateMachines[0]!;
    expect(machine.name).toBe("mini-pipeline");
    const flaky = (machine.definition.States as Record<string, { Resource: string; Retry: unknown[] }>)[
      "Flaky step"
    ]!;
    expect(flaky.Resource).toMatch(/^arn:aws:states:::lambda:invoke$|function:/);
    expect(JSON.stringify(machine.definition)).not.toContain("Fn::");
  });
});
