/**
 * Consumed Kafka records → the exact event an MSK event source mapping hands to Lambda.
 * Tests and the local runtime use it so handlers see what they would see in AWS: base64 key
 * (left out when null) and value, numeric offset and timestamp, headers as one-entry
 * objects of byte arrays, records grouped under "<topic>-<partition>".
 */
import { LOCAL_ACCOUNT, LOCAL_DEFAULTS } from "../config/index.ts";
import type { KafkaMessage } from "../kafka/client.ts";
import type { MskEvent, MskRecord } from "./types.ts";

/** One partition's share of a kafkajs `eachBatch` batch (its `topic`, `partition`, `messages`). */
export interface ConsumedBatch {
  readonly topic: string;
  readonly partition: number;
  readonly messages: readonly KafkaMessage[];
}

export interface MskEventSource {
  /** The cluster ARN the mapping reads from (a made-up one offline). */
  readonly eventSourceArn: string;
  /** Comma-separated broker list, as Lambda sends it. */
  readonly bootstrapServers: string;
}

export const LOCAL_EVENT_SOURCE: MskEventSource = {
  eventSourceArn: `arn:aws:kafka:${LOCAL_DEFAULTS.region}:${LOCAL_ACCOUNT}:cluster/local/00000000-0000-0000-0000-000000000000-1`,
  bootstrapServers: LOCAL_DEFAULTS.kafkaBrokers,
};

export function toMskRecord(topic: string, partition: number, message: KafkaMessage): MskRecord {
  const record: MskRecord = {
    topic,
    partition,
    offset: Number(message.offset),
    timestamp: Number(message.timestamp),
    // kafkajs doesn't expose the timestamp type; producers here always set create time.
    timestampType: "CREATE_TIME",
    value: (message.value ?? Buffer.alloc(0)).toString("base64"),
    headers: toMskHeaders(message.headers),
  };
  if (message.key !== null && message.key !== undefined) record.key = message.key.toString("base64");
  return record;
}

/** Builds one MSK event from batches (several partitions may share one event, like Lambda does). */
export function toMskEvent(
  batches: readonly ConsumedBatch[],
  source: MskEventSource = LOCAL_EVENT_SOURCE,
): MskEvent {
  const records: Record<string, MskRecord[]> = {};
  for (const batch of batches) {
    if (batch.messages.length === 0) continue;
    const group = `${batch.topic}-${batch.partition}`;
    const list = records[group] ?? [];
    for (const message of batch.messages) list.push(toMskRecord(batch.topic, batch.partition, message));
    records[group] = list;
  }
  return { eventSource: "aws:kafka", ...source, records };
}

function toMskHeaders(headers: KafkaMessage["headers"]): MskRecord["headers"] {
  const out: MskRecord["headers"] = [];
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    // A repeated header arrives as an array in kafkajs; MSK lists each occurrence separately.
    for (const one of Array.isArray(value) ? value : [value]) {
      out.push({ [name]: [...(typeof one === "string" ? Buffer.from(one, "utf8") : one)] });
    }
  }
  return out;
}

/** Lambda's limits for one MSK event: 10,000 records and 6 MB (6,291,456 bytes) of payload. */
export const MSK_EVENT_LIMITS = { maxRecords: 10_000, maxBytes: 6_291_456 } as const;

/**
 * Cuts consumed batches into MSK events the way the event source mapping does: partitions in
 * order, each event within the record and byte limits, a partition's records never
 * reordered (one partition may span several events; one event may hold several partitions).
 * Bytes are the event's exact JSON (UTF-8), what Lambda's 6 MB invocation limit counts: base64
 * values, headers as byte arrays and the envelope. A single record over the limit goes alone
 * (Lambda's invoke then refuses it, as in AWS).
 */
export function toMskEvents(
  batches: readonly ConsumedBatch[],
  limits: { maxRecords: number; maxBytes: number } = MSK_EVENT_LIMITS,
  source: MskEventSource = LOCAL_EVENT_SOURCE,
): MskEvent[] {
  const envelope = jsonBytes({ eventSource: "aws:kafka", ...source, records: {} });
  const events: MskEvent[] = [];
  let current: ConsumedBatch[] = [];
  let records = 0;
  let bytes = envelope;
  // Records already in the current event per "<topic>-<partition>" (its JSON key and array).
  let groups = new Map<string, number>();
  const flush = () => {
    if (records > 0) events.push(toMskEvent(current, source));
    current = [];
    records = 0;
    bytes = envelope;
    groups = new Map();
  };
  for (const batch of batches) {
    const group = `${batch.topic}-${batch.partition}`;
    let slice: KafkaMessage[] = [];
    for (const message of batch.messages) {
      const size = jsonBytes(toMskRecord(batch.topic, batch.partition, message));
      const added = (n: Map<string, number>) => {
        const inGroup = n.get(group);
        // `"t-0":[…]` and a comma before it the first time; a comma before each further record.
        const groupBytes = inGroup === undefined ? jsonBytes(group) + 3 + (n.size > 0 ? 1 : 0) : 1;
        return size + groupBytes;
      };
      if (records > 0 && (records + 1 > limits.maxRecords || bytes + added(groups) > limits.maxBytes)) {
        if (slice.length > 0) current.push({ ...batch, messages: slice });
        slice = [];
        flush();
      }
      bytes += added(groups);
      groups.set(group, (groups.get(group) ?? 0) + 1);
      slice.push(message);
      records += 1;
    }
    if (slice.length > 0) current.push({ ...batch, messages: slice });
  }
  flush();
  return events;
}

function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), "utf8");
}
