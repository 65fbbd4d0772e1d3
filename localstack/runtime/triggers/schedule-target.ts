/**
 * How EventBridge Scheduler delivers one fire of a schedule to its target, and what it does
 * when it cannot (Scheduler user guide, "Configuring a dead-letter queue", and API reference,
 * RetryPolicy and DeadLetterConfig):
 * - the target is called as the schedule's execution role (Target.RoleArn); for a Lambda target
 *   that is Invoke with InvocationType Event, so once Lambda accepted the event the function's
 *   own asynchronous-invocation settings apply (functions/async-invoke.ts), not these;
 * - a call the target refuses for good — a client error: the role may not invoke, the function
 *   does not exist, the payload is too large — is not retried (EventBridge documents that a
 *   missing permission or a missing target goes straight to the dead-letter queue): the
 *   dead-letter event goes out at once, without EXHAUSTED_RETRY_CONDITION;
 * - any other failure is retried with exponential backoff until MaximumRetryAttempts (0–185,
 *   default 185) retries were made or the event is MaximumEventAgeInSeconds old (60–86,400,
 *   default 24 h); then the dead-letter event names the limit reached;
 * - the dead-letter event is the target's input as the message body, with String attributes
 *   ERROR_CODE, ERROR_MESSAGE, EXECUTION_ID, EXHAUSTED_RETRY_CONDITION (when a limit ended it),
 *   IS_PAYLOAD_TRUNCATED, RETRY_ATTEMPTS, SCHEDULED_TIME, SCHEDULE_ARN and TARGET_ARN, sent to
 *   the SQS queue of DeadLetterConfig as the schedule's execution role (which needs
 *   sqs:SendMessage on it); without a dead-letter queue, or when the queue refuses, the event
 *   is dropped. Each outcome is in the runtime log.
 *
 * Offline the failures that are retried are the runtime's own (the emulator unreachable while
 * the event is queued): Lambda's throttling and service errors are not emulated. The backoff is
 * ours (1 s doubling, at most 60 s): AWS documents exponential backoff with jitter, no figures.
 */
import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";

export interface ScheduleTargetCall {
  readonly scheduleId: string;
  readonly scheduleArn: string;
  readonly targetArn: string;
  /** The target's input, as Scheduler sends it. */
  readonly input: unknown;
  readonly retryPolicy: { readonly maximumRetryAttempts: number; readonly maximumEventAgeSeconds: number };
  /** The schedule's dead-letter queue and a client acting as the schedule's execution role. */
  readonly deadLetter?: { readonly arn: string; readonly queueUrl: string; readonly sqs: SQSClient };
  /** Calls the target once as the schedule's role; throws what the target answered. */
  readonly call: () => Promise<void>;
  readonly log: (message: string) => void;
  /**
   * Whether the runtime stopped: a fire still being retried is then given up (logged) — offline
   * a fire lives in the runtime's memory only, where Scheduler keeps it until its limits.
   */
  readonly stopped?: () => boolean;
  /** Waits between retries (injectable for tests). */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** How long before retry `n` (1, 2, …) of a failed delivery: 1 s doubling, at most a minute. */
export function scheduleRetryDelayMs(retry: number): number {
  return Math.min(1_000 * 2 ** (retry - 1), 60_000);
}

/** A refusal Scheduler does not retry: the target answered with a client error (4xx). */
function isClientError(error: unknown): boolean {
  const e = error as { $fault?: string; $metadata?: { httpStatusCode?: number }; name?: string };
  if (e.$fault === "client") return true;
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined && status >= 400 && status < 500 && status !== 429) return true;
  return e.name === "AccessDeniedException" || e.name === "ResourceNotFoundException";
}

/** One fire of a schedule, delivered as Scheduler delivers it. Never throws. */
export async function deliverScheduled(c: ScheduleTargetCall, scheduledTime = new Date()): Promise<void> {
  const executionId = crypto.randomUUID();
  const sleep = c.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref()));
  const { maximumRetryAttempts, maximumEventAgeSeconds } = c.retryPolicy;
  const log = (line: string) => c.log(`schedule ${c.scheduleId} → ${c.targetArn}: ${line}`);
  for (let retries = 0; ; retries += 1) {
    try {
      await c.call();
      if (retries > 0) log(`delivered after ${retries} retr${retries === 1 ? "y" : "ies"}`);
      return;
    } catch (error) {
      const e = error as Error;
      const failure = { code: e.name || "Error", message: e.message, retries };
      if (isClientError(error)) {
        log(
          `the target refused the call (${e.name}: ${e.message}); not retried, ${await deadLetter(c, failure, executionId, scheduledTime)}`,
        );
        return;
      }
      const age = Date.now() - scheduledTime.getTime();
      const delay = scheduleRetryDelayMs(retries + 1);
      const condition =
        retries >= maximumRetryAttempts
          ? "MaximumRetryAttempts"
          : age + delay > maximumEventAgeSeconds * 1000
            ? "MaximumEventAgeInSeconds"
            : undefined;
      if (condition) {
        log(
          `failed (${e.name}: ${e.message}) after ${retries} retries, ${condition} reached; ${await deadLetter(c, { ...failure, condition }, executionId, scheduledTime)}`,
        );
        return;
      }
      log(
        `failed (${e.name}: ${e.message}); retry ${retries + 1} of ${maximumRetryAttempts} in ${delay / 1000} s`,
      );
      await sleep(delay);
      if (c.stopped?.()) {
        log("the runtime stopped before the retry: this fire is given up");
        return;
      }
    }
  }
}

/** Sends the dead-letter event, as the schedule's role; says what happened, for the log. */
async function deadLetter(
  c: ScheduleTargetCall,
  failure: { code: string; message: string; retries: number; condition?: string },
  executionId: string,
  scheduledTime: Date,
): Promise<string> {
  if (!c.deadLetter) return "dropped: the schedule has no dead-letter queue";
  const text = (value: string) => ({ DataType: "String", StringValue: value || "-" });
  try {
    await c.deadLetter.sqs.send(
      new SendMessageCommand({
        QueueUrl: c.deadLetter.queueUrl,
        MessageBody: JSON.stringify(c.input),
        MessageAttributes: {
          ERROR_CODE: text(failure.code),
          ERROR_MESSAGE: text(failure.message.slice(0, 1024)),
          EXECUTION_ID: text(executionId),
          ...(failure.condition ? { EXHAUSTED_RETRY_CONDITION: text(failure.condition) } : {}),
          IS_PAYLOAD_TRUNCATED: text("false"),
          RETRY_ATTEMPTS: text(String(failure.retries)),
          SCHEDULED_TIME: text(scheduledTime.toISOString().replace(/\.\d{3}Z$/, "Z")),
          SCHEDULE_ARN: text(c.scheduleArn),
          TARGET_ARN: text(c.targetArn),
        },
      }),
    );
    return `sent to its dead-letter queue ${c.deadLetter.arn}`;
  } catch (error) {
    const e = error as Error;
    return `dropped: its dead-letter queue ${c.deadLetter.arn} refused it (${e.name}: ${e.message})`;
  }
}
