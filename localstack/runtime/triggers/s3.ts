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
 *   Lambda queues an asynchronous invocation. A message is deleted once the function returned,
 *   so delivery is at-least-once across a runtime crash (the message becomes visible again) and
 *   objects written while the runtime is down wait in the queue; the queue and the bucket's
 *   configuration are in the emulator's request log, so both survive an emulator restart.
 */
import { appendFileSync, mkdirSync } from "node:fs";
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
  type Message,
  ReceiveMessageCommand,
} from "@aws-sdk/client-sqs";
import type { S3Event, S3EventRecord } from "aws-lambda";
import { s3, sqs } from "../../../core/aws/clients.ts";
import { decodeEventKey, objectCreatedEvent } from "../../../core/lake/s3-event.ts";
import type { BucketNotification } from "../template-reader.ts";

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
  /** Its internal queue's URL on the emulator. */
  readonly queueUrl: string;
  /** Whether the template notifies the function of this object (an event for another is dropped). */
  readonly wants: (bucket: string, key: string) => boolean;
  /** Invokes the function with one S3 event; throws to have it retried. */
  readonly deliver: (event: S3Event) => Promise<void>;
}

export interface S3NotificationsOptions {
  /** How many events of one function are delivered at the same time. */
  readonly concurrency?: number;
  /** Appends each invocation's delay (ms from the object's write to it; a retry counts again), one a line. */
  readonly delaysFile?: string;
  readonly log?: (message: string) => void;
}

/** How long a received event stays invisible; extended while its invocation runs. */
const VISIBILITY_SECONDS = 30;
/** A failed delivery is retried this soon (the old listing retried on its next scan, ~1 s). */
const RETRY_SECONDS = 1;
/** How the runtime's log says a delivery failed and will be retried (the fault tests count these). */
export const RETRIED_NOTE = `(retried in ${RETRY_SECONDS} s)`;
/**
 * Short for a long poll: a poll can't be cancelled on the emulator, so {@link S3Notifications.stop}
 * waits for it to return (and gives back what it got), rather than leave it to take an event
 * that would then stay invisible for VISIBILITY_SECONDS.
 */
const LONG_POLL_SECONDS = 2;

/** Long-polls every notified function's internal queue and invokes the function. */
export class S3Notifications {
  private readonly functions: readonly NotifiedFunction[];
  private readonly options: S3NotificationsOptions;
  private readonly inFlight = new Map<string, Set<Promise<void>>>();
  private stopping = false;
  private polling: Promise<void>[] = [];
  deliveries = 0;
  failures = 0;

  constructor(functions: readonly NotifiedFunction[], options: S3NotificationsOptions = {}) {
    this.functions = functions;
    this.options = options;
    if (options.delaysFile) mkdirSync(dirname(options.delaysFile), { recursive: true });
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

  /** Delivers what the emulator has queued now; resolves when it was delivered or failed. */
  async settle(): Promise<void> {
    for (;;) {
      let received = 0;
      for (const fn of this.functions) received += (await this.receive(fn, 0)).length;
      const running = [...this.inFlight.values()].flatMap((r) => [...r]);
      if (received === 0 && running.length === 0) return;
      await Promise.all(running);
    }
  }

  private limit(): number {
    return this.options.concurrency ?? 4;
  }

  private async poll(fn: NotifiedFunction): Promise<void> {
    const running = this.inFlight.get(fn.functionArn) as Set<Promise<void>>;
    while (!this.stopping) {
      if (running.size >= this.limit()) {
        await Promise.race(running);
        continue;
      }
      try {
        await this.receive(fn, LONG_POLL_SECONDS);
      } catch (error) {
        if (this.stopping) return;
        // The emulator restarting or frozen: ask again shortly, as Lambda's pollers do.
        this.options.log?.(`s3 notifications for ${fn.functionArn}: ${(error as Error).message} (retrying)`);
        await new Promise((resolve) => setTimeout(resolve, RETRY_SECONDS * 1000));
      }
    }
  }

  /** One receive from the function's queue; each message is handled in the background. */
  private async receive(fn: NotifiedFunction, waitSeconds: number): Promise<Message[]> {
    const running = this.inFlight.get(fn.functionArn) as Set<Promise<void>>;
    const free = Math.max(1, Math.min(10, this.limit() - running.size));
    const { Messages = [] } = await sqs().send(
      new ReceiveMessageCommand({
        QueueUrl: fn.queueUrl,
        MaxNumberOfMessages: free,
        WaitTimeSeconds: waitSeconds,
        VisibilityTimeout: VISIBILITY_SECONDS,
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
      const records = fromEmulatorEvent(parse(message.Body)).filter((r) =>
        fn.wants(r.s3.bucket.name, decodeEventKey(r.s3.object.key)),
      );
      for (const record of records) {
        if (this.options.delaysFile)
          appendFileSync(this.options.delaysFile, `${Date.now() - Date.parse(record.eventTime)}\n`);
        await fn.deliver({ Records: [record] });
        this.deliveries += 1;
      }
      if (records.length === 0)
        this.options.log?.(
          `s3 notification for ${fn.functionArn} matches no notification of the template: dropped`,
        );
      await sqs().send(
        new DeleteMessageCommand({ QueueUrl: fn.queueUrl, ReceiptHandle: message.ReceiptHandle }),
      );
    } catch (error) {
      this.failures += 1;
      this.options.log?.(
        `s3 notification for ${fn.functionArn}: ${(error as Error).message} ${RETRIED_NOTE}`,
      );
      await visibility(RETRY_SECONDS).catch(() => undefined);
    } finally {
      clearInterval(heartbeat);
    }
  }
}

function parse(body: string | undefined): unknown {
  try {
    return JSON.parse(body ?? "");
  } catch {
    return undefined;
  }
}
