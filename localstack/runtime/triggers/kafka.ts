/**
 * A Kafka event source mapping run the way Lambda runs it: a consumer group per mapping,
 * batches of at most `batchSize` records gathered for up to the batching window, the MSK
 * event shape, offsets committed only after the function succeeded, bounded retries with
 * backoff, then the on-failure destination, then on to the next batch.
 *
 * Lambda interleaves partitions in one event; here each event carries one partition's batch
 * (a subset Lambda also sends), which keeps the commit after success exact per partition.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Kafka } from "kafkajs";
import type { Consumer } from "../../../core/kafka/client.ts";
import { MSK_EVENT_LIMITS, type MskEventSource, toMskEvents } from "../../../core/msk-event/build.ts";
import type { MskEvent } from "../../../core/msk-event/types.ts";
import { FunctionStoppedError } from "../functions/host.ts";
import type { FailureDestination } from "./destinations.ts";

export interface KafkaMappingSpec {
  /** Logical id of the AWS::Lambda::EventSourceMapping. */
  readonly id: string;
  readonly functionName: string;
  readonly topics: readonly string[];
  readonly groupId: string;
  readonly batchSize: number;
  readonly batchingWindowMs: number;
  readonly startingPosition: "TRIM_HORIZON" | "LATEST";
  /** -1 = retry until it succeeds (Lambda's default for Kafka). */
  readonly maxRetryAttempts: number;
  readonly onFailure?: FailureDestination;
}

export interface MappingStats {
  /** "Enabled", or Lambda-style "PROBLEM: …" while the mapping can't consume (e.g. no such topic). */
  state: string;
  batches: number;
  records: number;
  retries: number;
  sentToDestination: number;
  lastError?: string;
}

export interface KafkaMappingDeps {
  readonly kafka: Kafka;
  readonly invoke: (event: MskEvent) => Promise<unknown>;
  readonly source: MskEventSource;
  /** First retry delay; doubles up to 30 s (Lambda backs off exponentially too). */
  readonly retryBaseMs?: number;
  /** How often a busy or backing-off batch heartbeats its group. @default HEARTBEAT_MS (tests shorten it) */
  readonly heartbeatMs?: number;
  readonly log?: (message: string) => void;
}

export class KafkaMapping {
  readonly stats: MappingStats = {
    state: "Creating",
    batches: 0,
    records: 0,
    retries: 0,
    sentToDestination: 0,
  };
  private consumer: Consumer | undefined;
  readonly spec: KafkaMappingSpec;
  private readonly deps: KafkaMappingDeps;

  constructor(spec: KafkaMappingSpec, deps: KafkaMappingDeps) {
    this.spec = spec;
    this.deps = deps;
  }

  private stopped = false;
  /** Aborted by stop(): a retry's backoff ends at once. */
  private readonly stopping = new AbortController();
  private retryTimer: NodeJS.Timeout | undefined;

  /**
   * Starts consuming. Like Lambda, a mapping whose topic doesn't exist yet isn't an error for
   * the stack: it reports a problem state and keeps trying until the topic appears.
   */
  async start(): Promise<void> {
    try {
      await this.connect();
      this.stats.state = "Enabled";
    } catch (error) {
      await this.consumer?.disconnect().catch(() => undefined);
      this.consumer = undefined;
      this.stats.state = `PROBLEM: ${(error as Error).message}`;
      this.deps.log?.(
        `${this.spec.functionName} ← ${this.spec.topics.join(",")}: ${this.stats.state}; retrying in 5 s`,
      );
      if (!this.stopped) this.retryTimer = setTimeout(() => void this.start(), 5_000);
    }
  }

  private async connect(): Promise<void> {
    const { spec } = this;
    const consumer = this.deps.kafka.consumer({
      groupId: spec.groupId,
      // The batching window: the broker holds a fetch until it has data or the window ends.
      maxWaitTimeInMs: Math.max(spec.batchingWindowMs, 10),
      minBytes: 1,
      maxBytesPerPartition: 6 * 1024 * 1024,
      allowAutoTopicCreation: false,
      // A runtime killed with SIGKILL leaves its members in the group: the next start's join
      // waits until the broker drops them, after this long (kafkajs's default: 30 s).
      sessionTimeout: SESSION_TIMEOUT_MS,
    });
    this.consumer = consumer;
    // kafkajs restarts a crashed consumer only after a retriable error; after another one (an
    // evicted member's commit: "not aware of this member") it stays stopped. Lambda's
    // pollers don't stop, so we start it again, from the last committed offsets.
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (payload.restart || this.stopped) return;
      this.stats.state = `PROBLEM: ${payload.error.message}`;
      this.deps.log?.(
        `${spec.functionName} ← ${spec.topics.join(",")}: ${this.stats.state}; restarting in 5 s`,
      );
      this.consumer = undefined;
      this.retryTimer = setTimeout(() => void this.start(), 5_000);
    });
    await consumer.connect();
    await consumer.subscribe({
      topics: [...spec.topics],
      fromBeginning: spec.startingPosition === "TRIM_HORIZON",
    });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      // Lambda's Kafka pollers invoke once per partition at a time, every partition at once
      // (the function's concurrency bounds how many run; the rest wait for a sandbox).
      partitionsConsumedConcurrently: PARTITIONS_AT_ONCE,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        // Like Lambda: an event stops at the batch size or at the 6 MB invocation payload.
        const events = toMskEvents(
          [{ topic: batch.topic, partition: batch.partition, messages: batch.messages }],
          { maxRecords: spec.batchSize, maxBytes: MSK_EVENT_LIMITS.maxBytes },
          this.deps.source,
        );
        for (const event of events) {
          if (!isRunning() || isStale()) return;
          const records = Object.values(event.records).flat();
          const last = records[records.length - 1];
          if (!last) continue;
          // Stopped before the batch succeeded: not committed, delivered again on the next start.
          if (!(await this.deliver(event, heartbeat))) return;
          resolveOffset(String(last.offset));
          // Commit only after success: a crash before this line redelivers the batch.
          await consumer.commitOffsets([
            { topic: batch.topic, partition: batch.partition, offset: String(BigInt(last.offset) + 1n) },
          ]);
          this.stats.batches += 1;
          this.stats.records += records.length;
          await heartbeat();
        }
      },
    });
  }

  /**
   * Invokes until success, or until the retry bound, then hands the batch to the destination;
   * true when the batch is done with. False when the mapping stopped first (an invocation the
   * stop killed, or a retry not made): the batch is neither committed nor sent anywhere.
   */
  private async deliver(event: MskEvent, heartbeat: () => Promise<void>): Promise<boolean> {
    const { maxRetryAttempts } = this.spec;
    const base = this.deps.retryBaseMs ?? 500;
    // Everything a batch waits for keeps its member in the group: invocations, backoffs, destinations.
    const inGroup = <T>(work: Promise<T>) => whileHeartbeating(work, heartbeat, this.deps.heartbeatMs);
    for (let attempt = 0; ; attempt++) {
      if (this.stopped) return false;
      try {
        await inGroup(this.deps.invoke(event));
        return true;
      } catch (error) {
        if (this.stopped || error instanceof FunctionStoppedError) return false;
        const message = error instanceof Error ? error.message : String(error);
        this.stats.lastError = message;
        const exhausted = maxRetryAttempts >= 0 && attempt >= maxRetryAttempts;
        this.deps.log?.(
          `${this.spec.functionName} failed on ${describe(event)} (attempt ${attempt + 1}): ${message}`,
        );
        if (exhausted) {
          if (this.spec.onFailure) {
            // A destination down (the emulator restarting) may take a while: stay in the group.
            await inGroup(
              this.spec.onFailure.send({
                mappingId: this.spec.id,
                functionName: this.spec.functionName,
                event,
                error: message,
              }),
            );
            this.stats.sentToDestination += 1;
          }
          // Without a destination Lambda drops the batch after the retries: we log it loudly.
          else this.deps.log?.(`${this.spec.functionName}: batch ${describe(event)} discarded after retries`);
          return true;
        }
        this.stats.retries += 1;
        // The backoff (up to 30 s) heartbeats too: longer than the session timeout, the member
        // would be evicted and the batch handed to a new member from the start.
        await inGroup(
          sleep(Math.min(base * 2 ** attempt, 30_000), undefined, { signal: this.stopping.signal }).catch(
            () => undefined,
          ),
        );
      }
    }
  }

  /**
   * Stops fetching; resolves once the batch under way returned — at once when it was waiting
   * to retry, else when its invocation ends (the runtime kills it after a grace period).
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping.abort();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.consumer?.disconnect();
    this.consumer = undefined;
  }
}

function describe(event: MskEvent): string {
  return Object.entries(event.records)
    .map(([group, records]) => `${group}@${records[0]?.offset}-${records[records.length - 1]?.offset}`)
    .join(",");
}

/**
 * Heartbeats the group while a batch's work runs (its invocation, a retry's backoff, the write
 * to its destination). An invocation may wait for a sandbox (the
 * function at its concurrency), so after a stall (S3 unreachable, say) every mapping's batch
 * waits for the ones ahead; a member silent for the session timeout (SESSION_TIMEOUT_MS) is evicted, its commit then fails and the
 * batch comes again — forever, when the queue stays that long. Lambda's pollers don't lose
 * their partitions to a slow function either.
 */
async function whileHeartbeating<T>(
  work: Promise<T>,
  heartbeat: () => Promise<void>,
  everyMs = HEARTBEAT_MS,
): Promise<T> {
  // A failed heartbeat (a rebalance) is not the invocation's failure: the commit will tell.
  const timer = setInterval(() => void heartbeat().catch(() => undefined), everyMs);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}

/**
 * kafkajs hands a consumer's partitions to eachBatch this many at once: more than any topic
 * here has, so every assigned partition gets its own concurrent batch, as with Lambda.
 */
const PARTITIONS_AT_ONCE = 100;

/** kafkajs's default heartbeat interval; it sends one only when this much time has passed. */
const HEARTBEAT_MS = 3_000;

/**
 * How long the broker keeps a member that stopped heartbeating: three heartbeats and a margin
 * (the broker's floor, group.min.session.timeout.ms, is 6 s). Invocations heartbeat as they run
 * (whileHeartbeating), so a slow function does not lose its partitions.
 */
export const SESSION_TIMEOUT_MS = 10_000;
