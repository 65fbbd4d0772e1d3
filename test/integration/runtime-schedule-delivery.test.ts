/**
 * EventBridge Scheduler's Lambda targets offline, as AWS delivers them (real emulator, IAM
 * enforced): each fire is Lambda's Invoke with InvocationType Event, made as the schedule's
 * role, so a function that always fails gets its EventInvokeConfig's attempts — 3 by default —
 * and then its on-failure destination, written as the function's role; a call Lambda refuses
 * (the schedule's role may not invoke) is not retried and goes to the schedule's dead-letter
 * queue with Scheduler's attributes, sent as the schedule's role.
 *
 * Regression (issue 12): before, a scheduled function was invoked once, synchronously: a failure
 * was logged and neither the function's retries and on-failure destination nor the schedule's
 * dead-letter queue was used.
 */

import type { Message } from "@aws-sdk/client-sqs";
import { describe, expect, it } from "vitest";
import { ASYNC_RETRY_BASE_ENV } from "../../localstack/runtime/functions/async-invoke.ts";
import { readEvents, useMiniRuntime } from "../fixtures/mini-stack.ts";
import { drainQueue } from "../fixtures/queues.ts";
import { until } from "../fixtures/until.ts";

// The one knob for tests: AWS waits about 1 and 2 minutes between attempts; here 1 s and 2 s.
process.env[ASYNC_RETRY_BASE_ENV] = "1";

const unique = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

/** A one-time schedule `seconds` from now, in Scheduler's at() syntax (UTC, CDK's default zone). */
const atIn = (seconds: number) => `at(${new Date(Date.now() + seconds * 1000).toISOString().slice(0, 19)})`;

describe("EventBridge Scheduler → Lambda offline, as AWS delivers it", () => {
  const mini = useMiniRuntime();

  it("invokes the function asynchronously as the schedule's role: a failing function gets its EventInvokeConfig's 3 attempts, then its on-failure queue", async () => {
    // Prepare: the echo function fails on { poison: true }; its EventInvokeConfig sends failures to a queue.
    const queueName = `sched-failures-${unique()}`;
    const marker = unique();
    const { runtime, eventsFile, log } = mini.start({
      topic: `runtime.sched.${unique()}`,
      batchSize: 10,
      bucketName: `sched-${unique()}`,
      asyncOnFailure: { queueName },
      schedule: { expression: atIn(25), input: { poison: true, marker } },
    });
    await runtime.deploy();
    await runtime.start();
    const mine = () => readEvents(eventsFile).filter((e) => (e as { marker?: string }).marker === marker);

    // Act: the schedule fires; then Lambda's retries run out and the record reaches the queue.
    // (The mini stack's functions share one name across runs, so the queue may also hold an
    // earlier run's records: this fire's are told by its marker.)
    const records: Message[] = [];
    const ofThisFire = () =>
      records.filter(
        (m) =>
          (JSON.parse(m.Body ?? "{}") as { requestPayload?: { marker?: string } }).requestPayload?.marker ===
          marker,
      );
    await until(
      "the invocation record",
      async () => {
        records.push(...(await drainQueue(queueName)));
        return ofThisFire().length > 0 ? true : undefined;
      },
      90_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    records.push(...(await drainQueue(queueName)));

    // Assess: the first attempt and AWS's two retries, then one invocation record on the queue.
    expect(mine()).toHaveLength(3);
    const [message, ...more] = ofThisFire();
    expect(more).toEqual([]);
    const functionName = runtime.functionNameOf("echo");
    expect(JSON.parse(message!.Body!)).toMatchObject({
      version: "1.0",
      requestContext: {
        functionArn: expect.stringMatching(new RegExp(`:function:${functionName}:\\$LATEST$`)),
        condition: "RetriesExhausted",
        approximateInvokeCount: 3,
      },
      requestPayload: { poison: true, marker },
      responsePayload: { errorType: "Error", errorMessage: expect.stringContaining("poison event") },
    });
    // The invoke was judged as the schedule's role, the record sent as the function's.
    expect(runtime.accessJournal).toContainEqual(
      expect.objectContaining({
        principal: expect.stringMatching(/:role\/.*SchedulerRoleForTarget/),
        action: "lambda:InvokeFunction",
        resource: expect.stringContaining(`:function:${functionName}`),
      }),
    );
    expect(runtime.accessJournal).toContainEqual(
      expect.objectContaining({
        principal: expect.not.stringContaining("SchedulerRoleForTarget"),
        action: "sqs:SendMessage",
        resource: expect.stringContaining(`:${queueName}`),
      }),
    );
    expect(log).toContainEqual(
      expect.stringMatching(/RetriesExhausted after 3 attempt\(s\), sent to its on-failure destination/),
    );
  }, 120_000);

  it("sends the fire to the schedule's dead-letter queue, not retried, when the schedule's role may not invoke the function", async () => {
    // Prepare: the schedule's role lacks lambda:InvokeFunction; the schedule has a dead-letter queue.
    const deadLetters = `sched-dlq-${unique()}`;
    const marker = unique();
    const { runtime, eventsFile, log } = mini.start({
      topic: `runtime.sched.${unique()}`,
      batchSize: 10,
      bucketName: `sched-${unique()}`,
      schedule: {
        expression: atIn(25),
        input: { marker },
        retryAttempts: 3,
        deadLetterQueueName: deadLetters,
        mayInvoke: false,
      },
    });
    await runtime.deploy();
    await runtime.start();

    // Act
    await until(
      "the dead-letter event",
      () =>
        log.some((line) => line.startsWith("schedule ") && line.includes("dead-letter queue")) || undefined,
      60_000,
    );

    // Assess: the function never ran; one dead-letter event with Scheduler's attributes.
    const messages = await drainQueue(deadLetters);
    expect(messages).toHaveLength(1);
    expect(JSON.parse(messages[0]!.Body!)).toEqual({ marker });
    const attributes = Object.fromEntries(
      Object.entries(messages[0]!.MessageAttributes ?? {}).map(([name, v]) => [name, v.StringValue]),
    );
    const functionArn = runtime.stack.functions.find((f) => f.pipelineFunction === "echo")!.functionArn;
    expect(attributes).toEqual({
      ERROR_CODE: "AccessDeniedException",
      ERROR_MESSAGE: expect.stringContaining("is not authorized to perform: lambda:InvokeFunction"),
      EXECUTION_ID: expect.stringMatching(/^[0-9a-f-]{36}$/),
      IS_PAYLOAD_TRUNCATED: "false",
      RETRY_ATTEMPTS: "0",
      SCHEDULED_TIME: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      SCHEDULE_ARN: expect.stringMatching(
        /^arn:aws:scheduler:[a-z0-9-]+:000000000000:schedule\/default\/EchoSchedule/,
      ),
      TARGET_ARN: functionArn,
    });
    expect(readEvents(eventsFile).filter((e) => (e as { marker?: string }).marker === marker)).toEqual([]);
    // Sent as the schedule's role (CDK granted it sqs:SendMessage on the queue).
    expect(runtime.accessJournal).toContainEqual(
      expect.objectContaining({
        principal: expect.stringMatching(/:role\/.*SchedulerRoleForTarget/),
        action: "sqs:SendMessage",
        resource: expect.stringContaining(`:${deadLetters}`),
      }),
    );
    expect(log).toContainEqual(
      expect.stringMatching(
        /^schedule EchoSchedule\w* → .*: the target refused the call \(AccessDeniedException: .*\); not retried, sent to its dead-letter queue/,
      ),
    );
  }, 120_000);
});
