import { rmSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { synthMiniStack, writeHandlers } from "../../../test/fixtures/mini-stack.ts";
import { readAssembly } from "../assembly.ts";
import { checkStack, DeployError } from "../deploy-checks.ts";
import { type LocalStack, readStack } from "../template-reader.ts";
import type { AsyncInvocationRecord, DeadLetterQueue, FailureDestination } from "../triggers/destinations.ts";
import {
  ASYNC_RETRY_BASE_ENV,
  asyncFailureRecord,
  type GivenUp,
  giveUp,
  retryDelaySeconds,
} from "./async-invoke.ts";

const givenUp: GivenUp = {
  functionName: "pipeline-local-load-raw",
  functionArn: "arn:aws:lambda:us-east-1:000000000000:function:pipeline-local-load-raw",
  requestId: "4f1c2b9e-0000-4000-8000-000000000000",
  condition: "RetriesExhausted",
  attempts: 3,
  event: { Records: [{ s3: { object: { key: "raw/a" } } }] },
  lastError: { errorType: "LoadError", errorMessage: "connection refused" },
};

/** A destination that keeps what it was sent, or fails as told. */
function fakeDestination(fail?: Error): FailureDestination & { sent: AsyncInvocationRecord[] } {
  const sent: AsyncInvocationRecord[] = [];
  return {
    arn: "arn:aws:sqs:us-east-1:000000000000:failures",
    sent,
    send: async () => undefined,
    sendInvocationRecord: async (_fn, record) => {
      if (fail) throw fail;
      sent.push(record);
    },
  };
}

const awsRefusal = () =>
  Object.assign(new Error("User: … is not authorized"), { name: "AccessDenied", $fault: "client" });

describe("Lambda's asynchronous invocation rules", () => {
  it("waits AWS's one and then two minutes before the retries, unless the test knob shortens them", () => {
    expect([retryDelaySeconds(1, {}), retryDelaySeconds(2, {})]).toEqual([60, 120]);
    expect([1, 2].map((n) => retryDelaySeconds(n, { [ASYNC_RETRY_BASE_ENV]: "1" }))).toEqual([1, 2]);
    expect(() => retryDelaySeconds(1, { [ASYNC_RETRY_BASE_ENV]: "0.5" })).toThrow(ASYNC_RETRY_BASE_ENV);
  });

  it("writes AWS's invocation record: request context, request payload, the last response", () => {
    expect(asyncFailureRecord(givenUp, new Date("2026-12-03T10:00:00.000Z"))).toEqual({
      version: "1.0",
      timestamp: "2026-12-03T10:00:00.000Z",
      requestContext: {
        requestId: givenUp.requestId,
        functionArn: `${givenUp.functionArn}:$LATEST`,
        condition: "RetriesExhausted",
        approximateInvokeCount: 3,
      },
      requestPayload: givenUp.event,
      responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
      responsePayload: { errorType: "LoadError", errorMessage: "connection refused" },
    });
    const expired = asyncFailureRecord({
      ...givenUp,
      condition: "EventAgeExceeded",
      attempts: 0,
      lastError: undefined,
    });
    expect(expired.requestContext.condition).toBe("EventAgeExceeded");
    expect(expired).not.toHaveProperty("responseContext");
  });

  it("sends to the on-failure destination first, else the dead-letter queue, else drops and says so", async () => {
    // Arrange
    const destination = fakeDestination();
    const dead: unknown[] = [];
    const deadLetter: DeadLetterQueue = {
      arn: "arn:aws:sqs:us-east-1:000000000000:dlq",
      send: async (e) => void dead.push(e),
    };

    // Act
    const both = await giveUp(givenUp, { onFailure: destination, deadLetter });
    const dlqOnly = await giveUp(givenUp, { deadLetter });
    const neither = await giveUp(givenUp, {});

    // Assess
    expect(both).toBe(`sent to its on-failure destination ${destination.arn}`);
    expect(destination.sent).toHaveLength(1);
    expect(dlqOnly).toBe(`sent to its dead-letter queue ${deadLetter.arn}`);
    expect(dead).toEqual([givenUp.event]);
    expect(neither).toBe("dropped: the function has no on-failure destination and no dead-letter queue");
  });

  it("loses the event when AWS refuses the destination's write, but throws the emulator's own failure to be tried again", async () => {
    await expect(giveUp(givenUp, { onFailure: fakeDestination(awsRefusal()) })).resolves.toMatch(
      /^dropped: its on-failure destination .* refused the record \(AccessDenied: /,
    );
    await expect(
      giveUp(givenUp, { onFailure: fakeDestination(new Error("connect ECONNREFUSED")) }),
    ).rejects.toThrow("ECONNREFUSED");
  });
});

describe("the template's EventInvokeConfig", () => {
  const { repoRoot, eventsFile } = writeHandlers();
  const assembly = synthMiniStack(
    {
      topic: "mini.topic",
      batchSize: 7,
      bucketName: "mini-lake",
      asyncOnFailure: { queueName: "mini-async-failures", retryAttempts: 1 },
    },
    eventsFile,
  );
  const stack = readStack(readAssembly(assembly)[0]!, repoRoot, "us-east-1");
  afterAll(() => {
    rmSync(assembly, { recursive: true, force: true });
    rmSync(repoRoot, { recursive: true, force: true });
  });

  it("is read onto its function, AWS's defaults where it says nothing", () => {
    const echo = stack.functions.find((f) => f.pipelineFunction === "echo");
    const flaky = stack.functions.find((f) => f.pipelineFunction === "flaky");
    expect(echo?.asyncInvoke).toEqual({
      maxRetryAttempts: 1,
      maxEventAgeSeconds: 21_600,
      onFailureArn: expect.stringMatching(/^arn:aws:sqs:[^:]+:\d{12}:mini-async-failures$/),
      onSuccessArn: undefined,
      deadLetterArn: undefined,
    });
    expect(flaky?.asyncInvoke).toEqual({
      maxRetryAttempts: 2,
      maxEventAgeSeconds: 21_600,
      deadLetterArn: undefined,
    });
  });

  it("is refused at deploy outside AWS's bounds (retries 0–2, age 60–21,600 s)", () => {
    // Arrange
    const withInvokeConfig = (change: Record<string, unknown>): LocalStack => ({
      ...stack,
      context: {
        ...stack.context,
        template: {
          ...stack.context.template,
          Resources: Object.fromEntries(
            Object.entries(stack.context.template.Resources).map(([id, r]) => [
              id,
              r.Type === "AWS::Lambda::EventInvokeConfig"
                ? { ...r, Properties: { ...r.Properties, ...change } }
                : r,
            ]),
          ),
        },
      },
    });

    // Act
    let error: unknown;
    try {
      checkStack(withInvokeConfig({ MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 59 }));
    } catch (e) {
      error = e;
    }

    // Assess
    expect(error).toBeInstanceOf(DeployError);
    expect((error as DeployError).violations.map((v) => v.message)).toEqual([
      expect.stringContaining("Value '3' at 'maximumRetryAttempts' failed to satisfy constraint"),
      expect.stringContaining("Value '59' at 'maximumEventAgeInSeconds' failed to satisfy constraint"),
    ]);
    expect(() =>
      checkStack(withInvokeConfig({ MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 })),
    ).not.toThrow();
  });
});
