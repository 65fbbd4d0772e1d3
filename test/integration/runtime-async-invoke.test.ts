/**
 * S3 invokes a function asynchronously, and offline Lambda's asynchronous rules hold as in AWS
 * (against the real emulator, IAM enforced): a function that always fails gets its first
 * attempt and the template's retries — 3 attempts by default — then its event goes to the
 * on-failure destination of its EventInvokeConfig in AWS's invocation record, sent as the
 * function's execution role (a role that may not send loses the event, and the log says so);
 * an event over the 256 KB asynchronous payload limit is refused before the function sees it.
 *
 * Regression (issue 12): before, a failed S3 delivery was retried every second, forever.
 */

import { PutObjectCommand } from "@aws-sdk/client-s3";
import type { S3Event } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { s3 } from "../../core/aws/clients.ts";
import { ASYNC_RETRY_BASE_ENV } from "../../localstack/runtime/functions/async-invoke.ts";
import { ASYNC_PAYLOAD_LIMIT_BYTES } from "../../localstack/runtime/functions/payload-limits.ts";
import { eventLines, useMiniRuntime } from "../fixtures/mini-stack.ts";
import { drainQueue } from "../fixtures/queues.ts";

// The one knob for tests: AWS waits about 1 and 2 minutes between attempts; here 1 s and 2 s.
process.env[ASYNC_RETRY_BASE_ENV] = "1";

const unique = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

/** The echo function's invocations with this object's S3 event, in order, each with when it was logged. */
function attemptsFor(eventsFile: string, key: string): S3Event[] {
  return eventLines(eventsFile)
    .map((line) => JSON.parse(line) as Partial<S3Event>)
    .filter((e): e is S3Event => e.Records?.some((r) => r.s3?.object.key === key) === true);
}

describe("asynchronous invocation (S3 → Lambda) as AWS runs it", () => {
  const mini = useMiniRuntime();

  it.each([
    { retryAttempts: undefined, attempts: 3 },
    { retryAttempts: 0, attempts: 1 },
  ])(
    "gives a failing S3 event $attempts attempt(s) (MaximumRetryAttempts $retryAttempts), then sends AWS's invocation record to the on-failure queue as the function's role",
    async ({ retryAttempts, attempts }) => {
      // Prepare: the echo function fails on keys with "poison"; its EventInvokeConfig sends failures to a queue.
      const bucket = `async-${unique()}`;
      const queueName = `async-failures-${unique()}`;
      const { runtime, eventsFile, log } = mini.start({
        topic: `runtime.async.${unique()}`,
        batchSize: 10,
        bucketName: bucket,
        asyncOnFailure: { queueName, retryAttempts },
      });
      await runtime.deploy();
      await runtime.start();

      // Act
      const started = Date.now();
      await s3().send(new PutObjectCommand({ Bucket: bucket, Key: "in/poison.csv", Body: "x" }));
      await s3().send(new PutObjectCommand({ Bucket: bucket, Key: "in/fine.csv", Body: "y" }));
      await runtime.settleS3();
      const settledAfterMs = Date.now() - started;

      // Assess: exactly the first attempt and the retries, then nothing more; the good object once.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      expect(attemptsFor(eventsFile, "in/poison.csv")).toHaveLength(attempts);
      expect(attemptsFor(eventsFile, "in/fine.csv")).toHaveLength(1);
      // The retries waited (1 s, then 2 s here): not an immediate loop.
      expect(settledAfterMs).toBeGreaterThanOrEqual((2 ** (attempts - 1) - 1) * 1000);

      const messages = await drainQueue(queueName);
      expect(messages).toHaveLength(1);
      const record = JSON.parse(messages[0]!.Body!);
      const functionName = runtime.functionNameOf("echo");
      expect(record).toEqual({
        version: "1.0",
        timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        requestContext: {
          requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
          functionArn: expect.stringMatching(new RegExp(`:function:${functionName}:\\$LATEST$`)),
          condition: "RetriesExhausted",
          approximateInvokeCount: attempts,
        },
        requestPayload: { Records: [expect.objectContaining({ eventSource: "aws:s3" })] },
        responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
        responsePayload: { errorType: "Error", errorMessage: expect.stringContaining("poison object") },
      });
      expect((record.requestPayload as S3Event).Records[0]!.s3.object.key).toBe("in/poison.csv");
      // Sent as the function's execution role, judged by IAM.
      expect(runtime.accessJournal).toContainEqual(
        expect.objectContaining({
          principal: expect.stringContaining(":role/"),
          action: "sqs:SendMessage",
          resource: expect.stringContaining(`:${queueName}`),
        }),
      );
      expect(
        log.filter((line) => line.includes("in/poison.csv") && line.includes("RetriesExhausted")),
      ).toEqual([expect.stringContaining(`sent to its on-failure destination`)]);
    },
    90_000,
  );

  it("loses the event, and says so, when the function's role may not send to its on-failure queue", async () => {
    // Prepare: the template's role lacks sqs:SendMessage on the on-failure queue.
    const bucket = `async-${unique()}`;
    const queueName = `async-failures-${unique()}`;
    const { runtime, eventsFile, log } = mini.start({
      topic: `runtime.async.${unique()}`,
      batchSize: 10,
      bucketName: bucket,
      asyncOnFailure: { queueName, retryAttempts: 0, grant: false },
    });
    await runtime.deploy();
    await runtime.start();

    // Act
    await s3().send(new PutObjectCommand({ Bucket: bucket, Key: "in/poison-2.csv", Body: "x" }));
    await runtime.settleS3();

    // Assess: one attempt, nothing on the queue, and the log names the function, the event and why.
    expect(attemptsFor(eventsFile, "in/poison-2.csv")).toHaveLength(1);
    expect(await drainQueue(queueName)).toEqual([]);
    const functionName = runtime.functionNameOf("echo");
    expect(log).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^${functionName} ← s3://${bucket}/in/poison-2.csv: RetriesExhausted after 1 attempt\\(s\\), dropped: its on-failure destination .*${queueName} refused the record \\(AccessDenied`,
        ),
      ),
    );
  }, 90_000);

  it("refuses an asynchronous invoke over 256 KB with RequestEntityTooLargeException before the function sees it", async () => {
    // Prepare
    const { runtime, eventsFile } = mini.start({
      topic: `runtime.async.${unique()}`,
      batchSize: 10,
      bucketName: `async-${unique()}`,
    });
    await runtime.deploy();
    await runtime.start();
    const functionName = runtime.functionNameOf("echo");
    const padding = (bytes: number) => "x".repeat(bytes - JSON.stringify({ marker: "", pad: "" }).length);

    // Act
    const tooLarge = runtime.invokeAsync(functionName, {
      marker: "",
      pad: padding(ASYNC_PAYLOAD_LIMIT_BYTES + 1),
    });
    const atLimit = { marker: "at-limit", pad: padding(ASYNC_PAYLOAD_LIMIT_BYTES - "at-limit".length) };

    // Assess: AWS's refusal; an event of exactly 256 KB is queued and run.
    await expect(tooLarge).rejects.toMatchObject({
      name: "RequestEntityTooLargeException",
      message: `Request must be smaller than ${ASYNC_PAYLOAD_LIMIT_BYTES} bytes for the InvokeAsync operation`,
      $metadata: { httpStatusCode: 413 },
    });
    expect(Buffer.byteLength(JSON.stringify(atLimit))).toBe(ASYNC_PAYLOAD_LIMIT_BYTES);
    await expect(runtime.invokeAsync(functionName, atLimit)).resolves.toEqual({
      requestId: expect.any(String),
    });
    await runtime.settleS3();
    const seen = eventLines(eventsFile).map((line) => (JSON.parse(line) as { marker?: string }).marker);
    expect(seen).toEqual(["at-limit"]);
  }, 90_000);
});
