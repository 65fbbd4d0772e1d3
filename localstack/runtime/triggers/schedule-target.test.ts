import type { SQSClient } from "@aws-sdk/client-sqs";
import { describe, expect, it } from "vitest";
import { deliverScheduled, type ScheduleTargetCall, scheduleRetryDelayMs } from "./schedule-target.ts";

/** A call as the runtime builds it, with the dead-letter sends and the waits recorded. */
function fixture(
  call: () => Promise<void>,
  retryPolicy = { maximumRetryAttempts: 2, maximumEventAgeSeconds: 86_400 },
) {
  const sent: Array<{ body: string; attributes: Record<string, string | undefined> }> = [];
  const waits: number[] = [];
  const log: string[] = [];
  const sqs = {
    send: async (command: {
      input: { MessageBody: string; MessageAttributes: Record<string, { StringValue?: string }> };
    }) => {
      const attributes = Object.fromEntries(
        Object.entries(command.input.MessageAttributes).map(([k, v]) => [k, v.StringValue]),
      );
      sent.push({ body: command.input.MessageBody, attributes });
      return {};
    },
  } as unknown as SQSClient;
  const c: ScheduleTargetCall = {
    scheduleId: "Poll",
    scheduleArn: "arn:aws:scheduler:us-east-1:000000000000:schedule/default/Poll",
    targetArn: "arn:aws:lambda:us-east-1:000000000000:function:poller",
    input: { hello: "world" },
    retryPolicy,
    deadLetter: { arn: "arn:aws:sqs:us-east-1:000000000000:dlq", queueUrl: "http://q/dlq", sqs },
    call,
    log: (line) => log.push(line),
    sleep: async (ms) => {
      waits.push(ms);
    },
  };
  return { c, sent, waits, log };
}

const denied = () => Object.assign(new Error("User: … is not authorized"), { name: "AccessDeniedException" });
const unreachable = () => Object.assign(new Error("connect ECONNREFUSED"), { name: "Error" });

describe("EventBridge Scheduler's delivery to a target", () => {
  it("sends a refused call to the dead-letter queue at once, not retried, without EXHAUSTED_RETRY_CONDITION", async () => {
    // Prepare
    let calls = 0;
    const { c, sent, waits } = fixture(async () => {
      calls += 1;
      throw denied();
    });

    // Act
    await deliverScheduled(c, new Date("2026-12-02T10:00:00.250Z"));

    // Assess
    expect(calls).toBe(1);
    expect(waits).toEqual([]);
    expect(sent).toEqual([
      {
        body: JSON.stringify({ hello: "world" }),
        attributes: {
          ERROR_CODE: "AccessDeniedException",
          ERROR_MESSAGE: "User: … is not authorized",
          EXECUTION_ID: expect.stringMatching(/^[0-9a-f-]{36}$/),
          IS_PAYLOAD_TRUNCATED: "false",
          RETRY_ATTEMPTS: "0",
          SCHEDULED_TIME: "2026-12-02T10:00:00Z",
          SCHEDULE_ARN: c.scheduleArn,
          TARGET_ARN: c.targetArn,
        },
      },
    ]);
  });

  it("retries any other failure with backoff, then names MaximumRetryAttempts", async () => {
    // Prepare
    let calls = 0;
    const { c, sent, waits } = fixture(async () => {
      calls += 1;
      throw unreachable();
    });

    // Act
    await deliverScheduled(c);

    // Assess: the first call and 2 retries.
    expect(calls).toBe(3);
    expect(waits).toEqual([scheduleRetryDelayMs(1), scheduleRetryDelayMs(2)]);
    expect(sent[0]?.attributes).toMatchObject({
      EXHAUSTED_RETRY_CONDITION: "MaximumRetryAttempts",
      RETRY_ATTEMPTS: "2",
    });
  });

  it("stops at the event's maximum age, naming MaximumEventAgeInSeconds", async () => {
    // Prepare: a fire already 59.5 s old with a 60 s maximum age.
    const { c, sent } = fixture(
      async () => {
        throw unreachable();
      },
      { maximumRetryAttempts: 185, maximumEventAgeSeconds: 60 },
    );

    // Act
    await deliverScheduled(c, new Date(Date.now() - 59_500));

    // Assess
    expect(sent[0]?.attributes).toMatchObject({
      EXHAUSTED_RETRY_CONDITION: "MaximumEventAgeInSeconds",
      RETRY_ATTEMPTS: "0",
    });
  });

  it("delivers after a retry, and drops (logged) a failure without a dead-letter queue", async () => {
    // Prepare
    let calls = 0;
    const flaky = fixture(async () => {
      calls += 1;
      if (calls === 1) throw unreachable();
    });
    const noQueue = fixture(async () => {
      throw denied();
    });

    // Act
    await deliverScheduled(flaky.c);
    await deliverScheduled({ ...noQueue.c, deadLetter: undefined });

    // Assess
    expect(flaky.sent).toEqual([]);
    expect(flaky.log.at(-1)).toContain("delivered after 1 retry");
    expect(noQueue.log).toEqual([
      expect.stringContaining("not retried, dropped: the schedule has no dead-letter queue"),
    ]);
  });
});
