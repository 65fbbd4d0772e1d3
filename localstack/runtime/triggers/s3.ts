/**
 * S3 event notifications, as S3 sends them: the template's notification configuration is put
 * on the emulator's bucket, and the emulator (moto) emits the ObjectCreated events itself when
 * an object is written — nothing lists the bucket, so the cost does not grow with the lake.
 *
 * - A queue destination: moto sends the event to the queue; the queue's event source mapping
 *   (triggers/sqs.ts) takes it from there.
 * - A Lambda destination: moto can't invoke a function of ours, so serve.py sends the event to
 *   the function's internal queue on the emulator (`s3-invoke-<function name>`, the same rule
 *   here and there), which {@link S3Notifications} long-polls and invokes the function from, as
 *   Lambda runs an asynchronous invocation from its queue: S3 invokes with InvocationType Event,
 *   so Lambda's async rules apply (256 KB, retries, maximum event age, on-failure destination:
 *   functions/async-invoke.ts). A message is deleted once its event succeeded or was given up
 *   on, so delivery is at-least-once across a runtime crash (the message becomes visible again)
 *   and objects written while the runtime is down wait in the queue; the queue and the bucket's
 *   configuration are in the emulator's request log, so both survive an emulator restart.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import {
  type LambdaFunctionConfiguration,
  type NotificationConfiguration,
  PutBucketNotificationConfigurationCommand,
  type QueueConfiguration,
} from "@aws-sdk/client-s3";
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
} from "@aws-sdk/client-sqs";
import type { S3Event, S3EventRecord } from "aws-lambda";
import { s3, sqs } from "../../../core/aws/clients.ts";
import { PipelineError } from "../../../core/errors.ts";
import { decodeEventKey, objectCreatedEvent } from "../../../core/lake/s3-event.ts";
import { RuntimeError } from "../errors.ts";
import {
  type AsyncFailureTargets,
  type AsyncInvokeConfig,
  giveUp,
  retryDelaySeconds,
} from "../functions/async-invoke.ts";
import { FunctionStoppedError } from "../functions/host.ts";
import { requestSizeError } from "../functions/payload-limits.ts";
import type { BucketNotification } from "../template-reader.ts";
import { DelaysLog } from "./delays-log.ts";

/** The internal queue the emulator sends a Lambda destination's events to (serve.py's rule). */
export function lambdaNotificationQueue(functionArn: string): string {
  // arn:aws:lambda:region:account:function:name[:qualifier]; a function name has ≤ 64 characters.
  return `s3-invoke-${functionArn.split(":")[6] ?? functionArn}`;
}

/** The template's notifications of each bucket, as S3's PutBucketNotificationConfiguration takes them. */
export function notificationConfigurations(
  notifications: readonly BucketNotification[],
): Map<string, NotificationConfiguration> {
  const byBucket = new Map<string, NotificationConfiguration>();
  for (const n of notifications) {
    const config = byBucket.get(n.bucket) ?? {};
    const rules = [
      ...(n.prefix ? [{ Name: "prefix" as const, Value: n.prefix }] : []),
      ...(n.suffix ? [{ Name: "suffix" as const, Value: n.suffix }] : []),
    ];
    const common = {
      Events: n.events as LambdaFunctionConfiguration["Events"],
      ...(rules.length > 0 ? { Filter: { Key: { FilterRules: rules } } } : {}),
    };
    if (n.functionArn) {
      const lambda: LambdaFunctionConfiguration = { LambdaFunctionArn: n.functionArn, ...common };
      config.LambdaFunctionConfigurations = [...(config.LambdaFunctionConfigurations ?? []), lambda];
    } else if (n.queueArn) {
      const queue: QueueConfiguration = { QueueArn: n.queueArn, ...common };
      config.QueueConfigurations = [...(config.QueueConfigurations ?? []), queue];
    }
    byBucket.set(n.bucket, config);
  }
  return byBucket;
}

/**
 * Puts the template's notification configuration on each bucket (replacing what the bucket
 * had, as the stack owns it), after creating the internal queue of every Lambda destination.
 */
export async function configureBucketNotifications(
  notifications: readonly BucketNotification[],
): Promise<void> {
  const functions = new Set(notifications.flatMap((n) => (n.functionArn ? [n.functionArn] : [])));
  for (const arn of functions)
    await sqs().send(new CreateQueueCommand({ QueueName: lambdaNotificationQueue(arn) }));
  for (const [bucket, config] of notificationConfigurations(notifications))
    await s3().send(
      new PutBucketNotificationConfigurationCommand({ Bucket: bucket, NotificationConfiguration: config }),
    );
}

/** Whether a notification of the template matches an object (S3's prefix/suffix filter). */
export function notifies(n: BucketNotification, bucket: string, key: string): boolean {
  return n.bucket === bucket && key.startsWith(n.prefix) && key.endsWith(n.suffix);
}

/**
 * moto's event in S3's full shape: moto leaves out userIdentity, requestParameters,
 * responseElements, the bucket's ownerIdentity and the object's sequencer, and encodes "/" in
 * the key as %2F (S3 keeps it); its eventName, eventTime, configurationId and ETag are kept.
 */
export function fromEmulatorEvent(body: unknown): S3EventRecord[] {
  const records = (body as Partial<S3Event> | undefined)?.Records;
  if (!Array.isArray(records)) return [];
  return records.flatMap(
    (r) =>
      objectCreatedEvent(
        [
          {
            bucket: r.s3.bucket.name,
            key: decodeEventKey(r.s3.object.key),
            etag: r.s3.object.eTag,
            size: r.s3.object.size,
          },
        ],
        new Date(r.eventTime),
        { eventName: r.eventName, configurationId: r.s3.configurationId, awsRegion: r.awsRegion },
      ).Records,
  );
}

export interface NotifiedFunction {
  readonly functionArn: string;
  /** Its internal queue's URL on the emulator: Lambda's asynchronous event queue of the function. */
  readonly queueUrl: string;
  /** Whether the template notifies the function of this object (an event for another is dropped). */
  readonly wants: (bucket: string, key: string) => boolean;
  /**
   * S3's Invoke call (InvocationType Event) as S3's principal: throws {@link InvokeRefused} when
   * Lambda would refuse it (the resource policy does not allow S3 for this bucket).
   */
  readonly mayInvoke: (bucket: string) => Promise<void>;
  /** Runs the function once with an event; throws the function's error. */
  readonly deliver: (event: unknown) => Promise<void>;
  /** The template's asynchronous invocation settings of the function. */
  readonly asyncInvoke: AsyncInvokeConfig;
  /** How many of its events are delivered at once (the function's concurrency); else the options'. */
  readonly concurrency?: number;
  /** Where an event goes once Lambda gives up on it (as the function's execution role). */
  readonly failureTargets: AsyncFailureTargets;
}

/** Lambda refused S3's Invoke call itself: the event never enters the function's queue. */
export class InvokeRefused extends PipelineError {}

export interface S3NotificationsOptions {
  /** How many events of one function are delivered at the same time. */
  readonly concurrency?: number;
  /** Appends each invocation's delay (ms from the object's write to it; a retry counts again), one a line, capped (delays-log.ts). */
  readonly delaysFile?: string;
  readonly log?: (message: string) => void;
}

/** How long a received event stays invisible; extended while its invocation runs. */
const VISIBILITY_SECONDS = 30;
/** After the emulator failed a receive, ask again this soon. */
const POLL_RETRY_SECONDS = 1;
/** How the runtime's log says a failed attempt will be retried (the fault tests count these). */
export const RETRIED_NOTE = "will be retried in";
/** How the runtime's log says Lambda gave up on an event after its last attempt. */
export const RETRIES_EXHAUSTED_NOTE = "retries exhausted";
/**
 * Short for a long poll: a poll can't be cancelled on the emulator, so {@link S3Notifications.stop}
 * waits for it to return (and gives back what it got), rather than leave it to take an event
 * that would then stay invisible for VISIBILITY_SECONDS.
 */
const LONG_POLL_SECONDS = 2;

/** Message attributes a retried event carries on the function's queue (moto's own messages have none). */
const ATTEMPTS = "lambda-attempts";
const ENQUEUED_AT = "lambda-enqueued-at";
const REQUEST_ID = "lambda-request-id";
const LAST_ERROR_TYPE = "lambda-error-type";
const LAST_ERROR_MESSAGE = "lambda-error-message";

/** One asynchronous event of a function and where Lambda's handling of it stands. */
interface QueuedEvent {
  readonly event: unknown;
  readonly requestId: string;
  /** Attempts the function made so far. */
  readonly attempts: number;
  /** When the event entered the function's queue (ms): its age counts from there. */
  readonly enqueuedAt: number;
  readonly lastError?: { readonly errorType: string; readonly errorMessage: string };
  /** For the log: s3://bucket/key. */
  readonly what: string;
  /** moto's notification, not yet invoked: S3's Invoke call is still to be judged. */
  readonly fromS3: boolean;
}

/**
 * Long-polls every notified function's internal queue and invokes the function from it, as
 * Lambda runs asynchronous invocations (functions/async-invoke.ts): a failed attempt goes back
 * on the queue as a new message with its attempt count and the retry's delay; after the last
 * attempt (or past the event's maximum age) the event goes to the on-failure destination, the
 * dead-letter queue or nowhere, and the runtime log says which. A failure of the runtime's own
 * machinery (the emulator unreachable while it moves a message) leaves the message to come back
 * after its visibility timeout, not counted as an attempt — bounded by the event's maximum age.
 */
export class S3Notifications {
  private readonly functions: readonly NotifiedFunction[];
  private readonly options: S3NotificationsOptions;
  private readonly inFlight = new Map<string, Set<Promise<void>>>();
  private readonly delays: DelaysLog | undefined;
  private stopping = false;
  private polling: Promise<void>[] = [];
  /** Attempts that succeeded, attempts that failed, events given up on. */
  deliveries = 0;
  failures = 0;
  givenUp = 0;

  constructor(functions: readonly NotifiedFunction[], options: S3NotificationsOptions = {}) {
    this.functions = functions;
    this.options = options;
    if (options.delaysFile) mkdirSync(dirname(options.delaysFile), { recursive: true });
    this.delays = options.delaysFile ? new DelaysLog(options.delaysFile) : undefined;
    for (const fn of functions) this.inFlight.set(fn.functionArn, new Set());
  }

  start(): void {
    this.polling = this.functions.map((fn) => this.poll(fn));
  }

  /** Stops polling; resolves once the last polls returned and the invocations under way did. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.polling);
    await Promise.all([...this.inFlight.values()].flatMap((running) => [...running]));
  }

  /**
   * Delivers what the functions' queues hold now, retries included (waiting out their delays):
   * resolves when every event succeeded or was given up on.
   */
  async settle(): Promise<void> {
    for (;;) {
      let received = 0;
      for (const fn of this.functions) received += (await this.receive(fn, 0)).length;
      const running = [...this.inFlight.values()].flatMap((r) => [...r]);
      if (running.length > 0) await Promise.all(running);
      else if (received === 0) {
        if ((await this.waiting()) === 0) return;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  }

  /**
   * Messages on the functions' queues that are visible, delayed (a retry's wait) or in flight.
   * Visible ones count too: a retry whose delay ran out between `settle`'s receive and this
   * question is visible, neither delayed nor in flight, and not yet delivered.
   */
  private async waiting(): Promise<number> {
    let total = 0;
    for (const fn of this.functions) {
      const { Attributes = {} } = await sqs().send(
        new GetQueueAttributesCommand({
          QueueUrl: fn.queueUrl,
          AttributeNames: [
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesDelayed",
            "ApproximateNumberOfMessagesNotVisible",
          ],
        }),
      );
      total +=
        Number(Attributes.ApproximateNumberOfMessages ?? 0) +
        Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0) +
        Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0);
    }
    return total;
  }

  private limit(fn: NotifiedFunction): number {
    return fn.concurrency ?? this.options.concurrency ?? 4;
  }

  private async poll(fn: NotifiedFunction): Promise<void> {
    const running = this.inFlight.get(fn.functionArn) as Set<Promise<void>>;
    while (!this.stopping) {
      if (running.size >= this.limit(fn)) {
        await Promise.race(running);
        continue;
      }
      try {
        await this.receive(fn, LONG_POLL_SECONDS);
      } catch (error) {
        if (this.stopping) return;
        // The emulator restarting or frozen: ask again shortly, as Lambda's pollers do.
        this.options.log?.(`s3 notifications for ${fn.functionArn}: ${(error as Error).message} (retrying)`);
        await new Promise((resolve) => setTimeout(resolve, POLL_RETRY_SECONDS * 1000));
      }
    }
  }

  /** One receive from the function's queue; each message is handled in the background. */
  private async receive(fn: NotifiedFunction, waitSeconds: number): Promise<Message[]> {
    const running = this.inFlight.get(fn.functionArn) as Set<Promise<void>>;
    const free = Math.max(1, Math.min(10, this.limit(fn) - running.size));
    const { Messages = [] } = await sqs().send(
      new ReceiveMessageCommand({
        QueueUrl: fn.queueUrl,
        MaxNumberOfMessages: free,
        WaitTimeSeconds: waitSeconds,
        VisibilityTimeout: VISIBILITY_SECONDS,
        MessageAttributeNames: ["All"],
        MessageSystemAttributeNames: ["SentTimestamp"],
      }),
    );
    if (this.stopping && waitSeconds > 0) {
      // Received while stopping: visible again now, for whoever polls next.
      await Promise.all(Messages.map((m) => this.changeVisibility(fn, m, 0).catch(() => undefined)));
      return [];
    }
    for (const message of Messages) {
      const handling: Promise<void> = this.handle(fn, message).finally(() => running.delete(handling));
      running.add(handling);
    }
    return Messages;
  }

  private changeVisibility(fn: NotifiedFunction, message: Message, seconds: number) {
    return sqs().send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: fn.queueUrl,
        ReceiptHandle: message.ReceiptHandle,
        VisibilityTimeout: seconds,
      }),
    );
  }

  private async handle(fn: NotifiedFunction, message: Message): Promise<void> {
    const visibility = (seconds: number) => this.changeVisibility(fn, message, seconds);
    // Keeps the event invisible while the function runs; after a crash it is back within 30 s.
    const heartbeat = setInterval(
      () => void visibility(VISIBILITY_SECONDS).catch(() => undefined),
      (VISIBILITY_SECONDS * 1000) / 3,
    );
    try {
      const events = this.eventsOf(fn, message);
      for (const queued of events) await this.attempt(fn, queued);
      await sqs().send(
        new DeleteMessageCommand({ QueueUrl: fn.queueUrl, ReceiptHandle: message.ReceiptHandle }),
      );
    } catch (error) {
      // The runtime's own machinery failed (the emulator unreachable while a message moved):
      // the message comes back after its visibility timeout, the attempt not counted.
      this.options.log?.(
        `s3 notification for ${fn.functionArn}: ${(error as Error).message} (back on the function's queue within ${VISIBILITY_SECONDS} s)`,
      );
    } finally {
      clearInterval(heartbeat);
    }
  }

  /** The events a message holds: a retried event, or moto's notification (one event per record the template wants). */
  private eventsOf(fn: NotifiedFunction, message: Message): QueuedEvent[] {
    const attributes = message.MessageAttributes ?? {};
    const attribute = (name: string) => attributes[name]?.StringValue;
    const body = parse(message.Body);
    if (attribute(ATTEMPTS) !== undefined) {
      // A retried S3 event of an object this template does not notify the function of (another
      // stack's function of the same name, on the same emulator) is not ours to run.
      const record = (body as Partial<S3Event> | undefined)?.Records?.[0];
      if (record?.s3 && !fn.wants(record.s3.bucket.name, decodeEventKey(record.s3.object.key))) {
        this.options.log?.(
          `s3 notification for ${fn.functionArn} matches no notification of the template: dropped`,
        );
        return [];
      }
      const errorType = attribute(LAST_ERROR_TYPE);
      return [
        {
          event: body,
          requestId: attribute(REQUEST_ID) ?? crypto.randomUUID(),
          attempts: Number(attribute(ATTEMPTS)),
          enqueuedAt: Number(attribute(ENQUEUED_AT)),
          lastError:
            errorType === undefined
              ? undefined
              : { errorType, errorMessage: attribute(LAST_ERROR_MESSAGE) ?? "" },
          what: describeEvent(body),
          fromS3: false,
        },
      ];
    }
    const sent = Number(message.Attributes?.SentTimestamp);
    const records = fromEmulatorEvent(body).filter((r) =>
      fn.wants(r.s3.bucket.name, decodeEventKey(r.s3.object.key)),
    );
    if (records.length === 0)
      this.options.log?.(
        `s3 notification for ${fn.functionArn} matches no notification of the template: dropped`,
      );
    return records.map((record) => {
      const event: S3Event = { Records: [record] };
      return {
        event,
        requestId: crypto.randomUUID(),
        attempts: 0,
        enqueuedAt: Number.isFinite(sent) ? sent : Date.parse(record.eventTime),
        what: describeEvent(event),
        fromS3: true,
      };
    });
  }

  /** One attempt at an event, and what Lambda does after it. Throws only the runtime's own failures. */
  private async attempt(fn: NotifiedFunction, queued: QueuedEvent): Promise<void> {
    const log = (line: string) => this.options.log?.(`${functionName(fn)} ← ${queued.what}: ${line}`);
    const { maxRetryAttempts, maxEventAgeSeconds } = fn.asyncInvoke;
    if (Date.now() - queued.enqueuedAt > maxEventAgeSeconds * 1000)
      return this.giveUp(fn, queued, "EventAgeExceeded", log);
    if (queued.fromS3) {
      // S3's Invoke call: refused by Lambda, the event never enters the function's queue.
      const refused =
        requestSizeError(queued.event, "Event") ?? (await this.refusal(fn, queued.event as Partial<S3Event>));
      if (refused) {
        log(`Lambda refused S3's asynchronous invoke (${refused.name}: ${refused.message}): not delivered`);
        return;
      }
    }
    const attempt = queued.attempts + 1;
    try {
      for (const record of (queued.event as Partial<S3Event>).Records ?? [])
        if (record.eventTime) this.delays?.append(Date.now() - Date.parse(record.eventTime));
      await fn.deliver(queued.event);
      this.deliveries += 1;
      return;
    } catch (error) {
      if (error instanceof FunctionStoppedError) throw error; // the runtime stopping: back on the queue, not an attempt
      this.failures += 1;
      const e = error as Error & { errorType?: string };
      const lastError = { errorType: e.errorType ?? e.name, errorMessage: e.message };
      const failed = { ...queued, attempts: attempt, lastError };
      const of = `attempt ${attempt} of ${maxRetryAttempts + 1}`;
      if (attempt > maxRetryAttempts) {
        log(`failed (${of}): ${e.message}; ${RETRIES_EXHAUSTED_NOTE}`);
        return this.giveUp(fn, failed, "RetriesExhausted", log);
      }
      const delay = retryDelaySeconds(attempt);
      log(`failed (${of}): ${e.message}; ${RETRIED_NOTE} ${delay} s`);
      await this.queue(fn, failed, delay);
    }
  }

  /**
   * Lambda's Invoke with InvocationType Event, for a function S3 notifies or a schedule invokes
   * (the only ones with a queue offline): refused with RequestEntityTooLargeException over
   * 256 KB, else queued.
   */
  async invokeAsync(functionArn: string, event: unknown): Promise<{ requestId: string }> {
    const fn = this.functions.find((f) => f.functionArn === functionArn);
    if (!fn)
      throw new RuntimeError(
        `${functionArn}: only functions an S3 notification or a schedule targets have an asynchronous queue offline`,
      );
    const refused = requestSizeError(event, "Event");
    if (refused) throw refused;
    const requestId = crypto.randomUUID();
    await this.queue(
      fn,
      { event, requestId, attempts: 0, enqueuedAt: Date.now(), what: describeEvent(event), fromS3: false },
      0,
    );
    return { requestId };
  }

  /** Puts an event on the function's queue with where its handling stands, after `delaySeconds`. */
  private async queue(fn: NotifiedFunction, queued: QueuedEvent, delaySeconds: number): Promise<void> {
    const text = (value: string) => ({ DataType: "String", StringValue: value || "-" });
    await sqs().send(
      new SendMessageCommand({
        QueueUrl: fn.queueUrl,
        MessageBody: JSON.stringify(queued.event),
        DelaySeconds: delaySeconds,
        MessageAttributes: {
          [ATTEMPTS]: { DataType: "Number", StringValue: String(queued.attempts) },
          [ENQUEUED_AT]: { DataType: "Number", StringValue: String(queued.enqueuedAt) },
          [REQUEST_ID]: text(queued.requestId),
          ...(queued.lastError
            ? {
                [LAST_ERROR_TYPE]: text(queued.lastError.errorType),
                [LAST_ERROR_MESSAGE]: text(queued.lastError.errorMessage.slice(0, 4096)),
              }
            : {}),
        },
      }),
    );
  }

  /** Lambda's refusal of S3's Invoke (the resource policy), or undefined when S3 may invoke. */
  private async refusal(fn: NotifiedFunction, event: Partial<S3Event>): Promise<Error | undefined> {
    try {
      await fn.mayInvoke(event.Records?.[0]?.s3.bucket.name ?? "");
      return undefined;
    } catch (error) {
      if (error instanceof InvokeRefused) return error;
      throw error;
    }
  }

  private async giveUp(
    fn: NotifiedFunction,
    queued: QueuedEvent,
    condition: "RetriesExhausted" | "EventAgeExceeded",
    log: (line: string) => void,
  ): Promise<void> {
    const outcome = await giveUp(
      {
        functionName: functionName(fn),
        functionArn: fn.functionArn,
        requestId: queued.requestId,
        condition,
        attempts: queued.attempts,
        event: queued.event,
        lastError: queued.lastError,
      },
      fn.failureTargets,
    );
    this.givenUp += 1;
    log(`${condition} after ${queued.attempts} attempt(s), ${outcome}`);
  }
}

function functionName(fn: NotifiedFunction): string {
  return fn.functionArn.split(":")[6] ?? fn.functionArn;
}

/** s3://bucket/key of an S3 event, else "an event". */
function describeEvent(event: unknown): string {
  const record = (event as Partial<S3Event> | undefined)?.Records?.[0];
  return record?.s3 ? `s3://${record.s3.bucket.name}/${decodeEventKey(record.s3.object.key)}` : "an event";
}

function parse(body: string | undefined): unknown {
  try {
    return JSON.parse(body ?? "");
  } catch {
    return undefined;
  }
}
