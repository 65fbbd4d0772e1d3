/**
 * The producer every source goes through (CLI, file-to-topic, stock poller): validates each
 * record against its topic's schema, keys it, and sends JSON values in batches with several
 * batches in flight on kafkajs's idempotent producer. Invalid records are never sent and never
 * dropped silently: they are counted by reason and handed to `onInvalid`.
 */
import type { Dataset } from "../datasets/types.ts";
import type { Producer } from "../kafka/client.ts";
import type { SourceRecord } from "../sources/types.ts";
import { type InvalidMessage, specsByEntity, toMessage, type ValidMessage } from "./validate.ts";

export type Compression = "none" | "gzip";

export interface ProduceOptions {
  /** The `source` header: generator | superstore-file | stocks-csv | api | file:<s3 key>. */
  readonly source: string;
  /** Messages per `sendBatch` call. */
  readonly batchSize?: number;
  /**
   * Bytes of keys and values per `sendBatch` call. Kafka rejects a record batch over the
   * broker's message.max.bytes (1 MB by default), so a batch is sent before it gets there.
   */
  readonly maxBatchBytes?: number;
  /** `sendBatch` calls awaiting their acks at once. */
  readonly maxInFlight?: number;
  /**
   * The broker's `message.max.bytes`: a record that can't fit in a batch of this size is never
   * sent (the broker would reject its whole batch) but handed to `onInvalid` as `oversized`.
   */
  readonly maxMessageBytes?: number;
  /** Records per second (read from the source, valid or not); undefined = as fast as possible. */
  readonly rate?: number;
  readonly compression?: Compression;
  /** Called for each record that fails validation (e.g. to quarantine it). */
  readonly onInvalid?: (invalid: InvalidRecord) => void | Promise<void>;
  /** Called after each acknowledged batch and at the end. */
  readonly onProgress?: (progress: ProduceProgress) => void;
}

export interface InvalidRecord {
  /** 1-based position in the source. */
  readonly index: number;
  /** The source's line number, when it has lines. */
  readonly line?: number;
  readonly entity: string;
  readonly reason: string;
  readonly value: unknown;
}

export interface ProduceProgress {
  /** Records read from the source. */
  readonly read: number;
  /** Records acknowledged by Kafka. */
  readonly produced: number;
  readonly invalid: number;
}

export interface ProduceResult extends ProduceProgress {
  readonly producedByTopic: Record<string, number>;
  readonly invalidByReason: Record<string, number>;
}

export const DEFAULT_BATCH_SIZE = 1000;
/**
 * One batch at a time. kafkajs numbers an idempotent batch when it sends it and takes the
 * numbers back when the send fails; with several `sendBatch` calls in flight, a batch the broker
 * kept just before a restart lost its numbers to the next batch, and the broker answered
 * OUT_OF_ORDER_SEQUENCE_NUMBER (fatal). Alone, a failed batch is retried with its own numbers,
 * which the broker recognises as a duplicate: exactly once across broker restarts.
 */
export const DEFAULT_MAX_IN_FLIGHT = 1;
export const DEFAULT_MAX_BATCH_BYTES = 768 * 1024;
/** Kafka's default `message.max.bytes` (1 MiB + 12), which MSK keeps. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;
/**
 * What a record batch adds around one record: a 61-byte batch header and the record's own
 * lengths, offsets and timestamp (varints), rounded up.
 */
const RECORD_BATCH_OVERHEAD = 128;

interface Message {
  key: string;
  value: string;
  headers: Record<string, string>;
}

export async function produceRecords(
  producer: Producer,
  dataset: Dataset,
  records: AsyncIterable<SourceRecord> | Iterable<SourceRecord>,
  options: ProduceOptions,
): Promise<ProduceResult> {
  const specs = specsByEntity(dataset);
  const batchSize = Math.max(1, Math.min(options.batchSize ?? DEFAULT_BATCH_SIZE, smoothBatch(options.rate)));
  const maxInFlight = Math.max(1, options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT);
  const compression = options.compression === "gzip" ? CompressionTypes.GZIP : CompressionTypes.None;
  const headers = {
    "schema-version": String(dataset.schemaVersion),
    source: options.source,
    dataset: dataset.name,
  };
  const producedByTopic: Record<string, number> = Object.fromEntries(dataset.topics.map((t) => [t.topic, 0]));
  const invalidByReason: Record<string, number> = {};
  let read = 0;
  let produced = 0;
  let invalid = 0;
  const report = () => options.onProgress?.({ read, produced, invalid });

  let batch = new Map<string, Message[]>();
  let batchCount = 0;
  let batchBytes = 0;
  const maxBatchBytes = options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES;
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const headerBytes = Object.entries(headers).reduce(
    (n, [name, value]) => n + Buffer.byteLength(name) + Buffer.byteLength(value),
    0,
  );
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;

  const flush = async () => {
    if (batchCount === 0) return;
    const topicMessages = [...batch].map(([topic, messages]) => ({ topic, messages }));
    const sent = batch;
    batch = new Map();
    batchCount = 0;
    batchBytes = 0;
    const request = producer
      .sendBatch({ topicMessages, acks: -1, compression })
      .then(() => {
        for (const [topic, messages] of sent) {
          producedByTopic[topic] = (producedByTopic[topic] ?? 0) + messages.length;
          produced += messages.length;
        }
        report();
      })
      .catch((error: unknown) => {
        failure ??= error;
      })
      .finally(() => inFlight.delete(request));
    inFlight.add(request);
    while (inFlight.size >= maxInFlight) await Promise.race(inFlight);
    if (failure) throw failure;
  };

  const pace = options.rate ? new Pacer(options.rate) : undefined;
  for await (const record of records) {
    read++;
    const spec = specs.get(record.entity);
    const message = spec
      ? withinLimit(toMessage(spec, record.value), headerBytes, maxMessageBytes)
      : { ok: false as const, reason: `unknown entity "${record.entity}"` };
    if (!message.ok) {
      invalid++;
      invalidByReason[message.reason] = (invalidByReason[message.reason] ?? 0) + 1;
      await options.onInvalid?.({
        index: read,
        line: record.line,
        entity: record.entity,
        reason: message.reason,
        value: record.value,
      });
    } else {
      // A record that would take the batch over its byte budget goes into the next one.
      if (batchCount > 0 && batchBytes + message.bytes > maxBatchBytes) await flush();
      const list = batch.get(message.topic) ?? [];
      batch.set(message.topic, list);
      list.push({ key: message.key, value: message.value, headers });
      batchBytes += message.bytes;
      if (++batchCount >= batchSize || batchBytes >= maxBatchBytes) await flush();
    }
    if (pace) await pace.wait(read);
  }
  await flush();
  await Promise.all(inFlight);
  if (failure) throw failure;
  report();
  return { read, produced, invalid, producedByTopic, invalidByReason };
}

/**
 * The message with its size in bytes (key, value, headers: what a batch holds; one character
 * may be four bytes), or `oversized` when a batch of the broker's maximum can't hold it.
 */
function withinLimit(
  message: ValidMessage | InvalidMessage,
  headerBytes: number,
  maxMessageBytes: number,
): (ValidMessage & { bytes: number }) | InvalidMessage {
  if (!message.ok) return message;
  const bytes = Buffer.byteLength(message.key) + Buffer.byteLength(message.value) + headerBytes;
  if (bytes + RECORD_BATCH_OVERHEAD <= maxMessageBytes) return { ...message, bytes };
  return {
    ok: false,
    reason: `oversized: with its key and headers, more than the broker's message.max.bytes (${maxMessageBytes})`,
  };
}

// kafkajs's enum values, repeated so this module needs no runtime kafkajs import (core/kafka owns it).
const CompressionTypes = { None: 0, GZIP: 1 } as const;

/** With a rate limit, send about ten batches a second so the rate looks steady. */
function smoothBatch(rate: number | undefined): number {
  return rate ? Math.max(1, Math.floor(rate / 10)) : Number.POSITIVE_INFINITY;
}

/** Sleeps so that record n is not read before start + n / rate seconds. */
class Pacer {
  readonly #start = performance.now();
  readonly #rate: number;

  constructor(rate: number) {
    this.#rate = rate;
  }

  async wait(n: number): Promise<void> {
    const due = this.#start + (n / this.#rate) * 1000;
    const ahead = due - performance.now();
    if (ahead > 5) await new Promise((resolve) => setTimeout(resolve, ahead));
  }
}
