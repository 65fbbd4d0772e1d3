/**
 * Helpers for the landing/loading integration tests: unique buckets and raw schemas, reading
 * exactly the offsets a test produced back from Kafka (topics are fixed by the datasets, so
 * a test works on the offset range it wrote), and driving the real handlers with the event
 * shapes AWS would send.
 */
import { randomUUID } from "node:crypto";
import type { Readable } from "node:stream";
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { resetAwsClients, s3 } from "../../core/aws/clients.ts";
import { type Config, loadConfig, useLocalAwsEnv } from "../../core/config/index.ts";
import { type Admin, createKafka, type KafkaMessage, topicOffsets } from "../../core/kafka/client.ts";
import { decodeNdjsonGz, type ObjectRef, objectCreatedEvent } from "../../core/lake/index.ts";
import type { ConsumedBatch, MskEvent } from "../../core/msk-event/index.ts";
import type { TopicLocation } from "../../core/reconcile/reconcile.ts";
import { pgQualified, postgresPool } from "../../core/warehouse/index.ts";
import { seekToStarts } from "./consumer-start.ts";

export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomUUID().slice(0, 6)}`;
}

export interface IngestEnv {
  readonly config: Config;
  readonly rawBucket: string;
  readonly quarantineBucket: string;
  readonly schema: string;
  /** Restores the environment and drops the schema. */
  readonly cleanup: () => Promise<void>;
}

/** Fresh buckets and a fresh raw schema, wired into the handlers through their environment. */
export async function createIngestEnv(extra: Record<string, string> = {}): Promise<IngestEnv> {
  useLocalAwsEnv();
  const name = uniqueName("it");
  const vars: Record<string, string> = {
    RAW_BUCKET: `${name}-raw`,
    QUARANTINE_BUCKET: `${name}-quarantine`,
    RAW_SCHEMA: `raw_${name.replaceAll("-", "_")}`,
    WAREHOUSE_TARGET: "postgres",
    POWERTOOLS_LOG_LEVEL: "WARN",
    POWERTOOLS_METRICS_DISABLED: "true",
    ...extra,
  };
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  resetAwsClients();
  const config = loadConfig();
  for (const bucket of [config.buckets.raw, config.buckets.quarantine]) {
    await s3().send(new CreateBucketCommand({ Bucket: bucket }));
  }
  return {
    config,
    rawBucket: config.buckets.raw,
    quarantineBucket: config.buckets.quarantine,
    schema: vars.RAW_SCHEMA as string,
    cleanup: async () => {
      await postgresPool(config.postgres.url).query(`drop schema if exists "${vars.RAW_SCHEMA}" cascade`);
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    },
  };
}

/** High watermarks ("next offset") of every partition of `topics`. */
export async function highWatermarks(admin: Admin, topics: readonly string[]): Promise<Map<string, number>> {
  const marks = new Map<string, number>();
  for (const topic of topics) {
    for (const p of await topicOffsets(admin, topic)) marks.set(`${topic}-${p.partition}`, Number(p.high));
  }
  return marks;
}

/**
 * Consumes exactly the offsets [from, to) of each partition (what the test produced) with a
 * fresh consumer group, and returns them as one batch per partition, in offset order.
 */
export async function consumeRange(
  config: Config,
  from: Map<string, number>,
  to: Map<string, number>,
): Promise<ConsumedBatch[]> {
  const kafka = createKafka(config.kafka, "-it-consumer");
  const groupId = uniqueName("it-group");
  const topics = [...new Set([...to.keys()].map((tp) => tp.slice(0, tp.lastIndexOf("-"))))];
  const collected = new Map<string, ConsumedBatch & { messages: KafkaMessage[] }>();
  const remaining = new Set([...to].filter(([tp, end]) => end > (from.get(tp) ?? 0)).map(([tp]) => tp));
  const consumer = kafka.consumer({ groupId, maxBytes: 16 * 1024 * 1024 });
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  const done = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`consumeRange timed out; waiting for ${[...remaining]}`)),
      120_000,
    );
    if (remaining.size === 0) resolve();
    consumer
      .run({
        eachBatch: async ({ batch }) => {
          const tp = `${batch.topic}-${batch.partition}`;
          const end = to.get(tp) ?? 0;
          const target = collected.get(tp) ?? {
            topic: batch.topic,
            partition: batch.partition,
            messages: [],
          };
          collected.set(tp, target);
          // A rebalance (slow test machine) redelivers uncommitted records: keep each offset once.
          const last = Number(target.messages.at(-1)?.offset ?? (from.get(tp) ?? 0) - 1);
          for (const m of batch.messages) {
            const offset = Number(m.offset);
            if (offset > last && offset < end) target.messages.push(m);
          }
          if (Number(batch.lastOffset()) >= end - 1) remaining.delete(tp);
          if (remaining.size === 0) {
            clearTimeout(timer);
            resolve();
          }
        },
      })
      .catch(reject);
    seekToStarts(
      consumer,
      [...from].map(([tp, offset]) => {
        const split = tp.lastIndexOf("-");
        return { topic: tp.slice(0, split), partition: Number(tp.slice(split + 1)), offset };
      }),
    );
  });
  try {
    await done;
  } finally {
    await consumer.disconnect();
  }
  return [...collected.values()].sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
}

export async function listObjects(bucket: string, prefix = ""): Promise<ObjectRef[]> {
  const objects: ObjectRef[] = [];
  let token: string | undefined;
  do {
    const page = await s3().send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of page.Contents ?? [])
      objects.push({ bucket, key: o.Key as string, etag: o.ETag ?? "", size: o.Size });
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return objects;
}

export async function readLines<T>(bucket: string, key: string): Promise<T[]> {
  const response = await s3().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const lines: T[] = [];
  for await (const line of decodeNdjsonGz<T>(response.Body as Readable)) lines.push(line);
  return lines;
}

/** Runs land-records on each event, in order, like the event source mapping would. */
export async function landAll(events: readonly MskEvent[]): Promise<{ landed: number; quarantined: number }> {
  // Imported here, after createIngestEnv set the environment their loggers read at load time.
  const { handler: landRecords } = await import("../../lambdas/land-records/index.ts");
  let landed = 0;
  let quarantined = 0;
  for (const event of events) {
    const result = await landRecords(event);
    landed += result.landed;
    quarantined += result.quarantined;
  }
  return { landed, quarantined };
}

/** Sends load-raw one S3 ObjectCreated event per object of the raw bucket. */
export async function loadAll(rawBucket: string): Promise<{ objects: number; rowsInserted: number }> {
  const { handler: loadRaw } = await import("../../lambdas/load-raw/index.ts");
  const objects = await listObjects(rawBucket, "raw/");
  let rowsInserted = 0;
  for (const object of objects) {
    const result = await loadRaw(objectCreatedEvent([object]));
    if ("loads" in result) rowsInserted += result.loads.reduce((n, l) => n + l.rowsInserted, 0);
  }
  return { objects: objects.length, rowsInserted };
}

export function rawPool(config: Config) {
  return postgresPool(config.postgres.url);
}

/**
 * A votes topic of a test's own in the test's buckets and raw schema, for reconcile, with a
 * staging view that keeps one row per key (as the dbt staging models do) over its raw table.
 */
export async function votesLocation(env: IngestEnv, topic: string): Promise<TopicLocation> {
  await rawPool(env.config).query(
    `create view ${pgQualified(env.schema, "stg_votes")} as
       select distinct on (record_key) * from ${pgQualified(env.schema, "elections_votes")}`,
  );
  return {
    dataset: "elections",
    entity: "votes",
    topic,
    rawBucket: env.rawBucket,
    quarantineBucket: env.quarantineBucket,
    rawSchema: env.schema,
    rawTable: "elections_votes",
    stagingSchema: env.schema,
    stagingView: "stg_votes",
  };
}
