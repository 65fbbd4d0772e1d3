/**
 * Counts of one dataset topic at each stage of the pipeline, read from the stages
 * themselves: Kafka offsets, the objects in the lake, the rows in the warehouse. The demo's
 * summary, the "wait until loaded" checks and the reconcile command are built on these.
 */

import type { Readable } from "node:stream";
import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { s3 } from "../aws/clients.ts";
import type { Config } from "../config/index.ts";
import { type Dataset, datasets as registry } from "../datasets/index.ts";
import { createKafka, topicOffsets } from "../kafka/client.ts";
import { decodeNdjsonGz } from "../lake/ndjson.ts";
import { pgQualified } from "../warehouse/identifiers.ts";
import { postgresPool } from "../warehouse/postgres/pool.ts";
import { DEFAULT_RAW_SCHEMA, MANIFEST_TABLE } from "../warehouse/raw-tables.ts";
import { readKafkaOffsets } from "./readers.ts";

export interface TopicCounts {
  readonly dataset: string;
  readonly entity: string;
  readonly topic: string;
  /** Records in the topic: end minus start offset, summed over partitions. */
  readonly inKafka: number;
  /** Records in raw/ objects (lines), and how many objects. */
  readonly landed: number;
  readonly landedObjects: number;
  /** Records in quarantine/ objects, by reason. */
  readonly quarantined: number;
  readonly quarantinedByReason: Record<string, number>;
  /** Rows in the raw warehouse table. */
  readonly rawRows: number;
  /** raw/ objects recorded in the load manifest. */
  readonly loadedObjects: number;
}

/** Offsets per topic: end − start, summed over partitions (0 for a topic that doesn't exist). */
export async function kafkaRecordCounts(
  config: Config,
  topics: readonly string[],
): Promise<Map<string, number>> {
  const offsets = await readKafkaOffsets(config, topics);
  return new Map(
    topics.map((topic) => [topic, (offsets.get(topic) ?? []).reduce((n, p) => n + (p.high - p.low), 0)]),
  );
}

/** Records a consumer group has not committed yet, over the topics (−1 when it never committed). */
export async function consumerGroupLag(
  config: Config,
  groupId: string,
  topics: readonly string[],
): Promise<number> {
  const admin = createKafka(config.kafka, "-lag").admin();
  await admin.connect();
  try {
    let lag = 0;
    const committed = await admin.fetchOffsets({ groupId, topics: [...topics] });
    for (const { topic, partitions } of committed) {
      const ends = await topicOffsets(admin, topic);
      for (const end of ends) {
        const done = partitions.find((p) => p.partition === end.partition)?.offset ?? "-1";
        const from = Number(done) < 0 ? Number(end.low) : Number(done);
        lag += Number(end.high) - from;
      }
    }
    return lag;
  } finally {
    await admin.disconnect();
  }
}

export async function listKeys(bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3().send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
    token = page.NextContinuationToken;
  } while (token);
  return keys;
}

/** Lines of every gzip NDJSON object under a prefix, passed to `visit`. */
async function forEachLine(
  bucket: string,
  keys: readonly string[],
  visit: (line: { reason?: string }) => void,
) {
  for (const key of keys) {
    const object = await s3().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    for await (const line of decodeNdjsonGz<{ reason?: string }>(object.Body as Readable)) visit(line);
  }
}

async function countRows(config: Config, table: string): Promise<number> {
  const pool = postgresPool(config.postgres.url);
  try {
    const result = await pool.query<{ n: string }>(
      `select count(*)::bigint as n from ${pgQualified(DEFAULT_RAW_SCHEMA, table)}`,
    );
    return Number(result.rows[0]?.n ?? 0);
  } catch (error) {
    // The table appears with the first load; before that the count is 0.
    if ((error as { code?: string }).code === "42P01") return 0;
    throw error;
  }
}

/** raw/ objects under `prefix` recorded in the load manifest (0 before the first load). */
export async function loadedObjectCount(config: Config, prefix: string): Promise<number> {
  try {
    const result = await postgresPool(config.postgres.url).query<{ n: string }>(
      `select count(*)::bigint as n from ${pgQualified(DEFAULT_RAW_SCHEMA, MANIFEST_TABLE)} where object_key like $1`,
      [`${prefix}%`],
    );
    return Number(result.rows[0]?.n ?? 0);
  } catch (error) {
    if ((error as { code?: string }).code === "42P01") return 0;
    throw error;
  }
}

/** Counts every stage of every topic of the given datasets. */
export async function stageCounts(
  config: Config,
  datasets: readonly Dataset[] = registry,
): Promise<TopicCounts[]> {
  const topics = datasets.flatMap((d) => d.topics.map((t) => ({ dataset: d.name, spec: t })));
  const inKafka = await kafkaRecordCounts(
    config,
    topics.map((t) => t.spec.topic),
  );
  const results: TopicCounts[] = [];
  for (const { dataset, spec } of topics) {
    const rawPrefix = `raw/${dataset}/${spec.entity}/`;
    const rawKeys = await listKeys(config.buckets.raw, rawPrefix).catch(() => []);
    let landed = 0;
    await forEachLine(config.buckets.raw, rawKeys, () => {
      landed += 1;
    });
    // File rows rejected before reaching Kafka (file-to-topic) live under …/files/: not Kafka records.
    const quarantineKeys = (
      await listKeys(config.buckets.quarantine, `quarantine/${dataset}/${spec.entity}/`).catch(() => [])
    ).filter((key) => !key.includes("/files/"));
    const byReason: Record<string, number> = {};
    let quarantined = 0;
    await forEachLine(config.buckets.quarantine, quarantineKeys, (line) => {
      quarantined += 1;
      const reason = (line.reason ?? "unknown").split(":")[0] ?? "unknown";
      byReason[reason] = (byReason[reason] ?? 0) + 1;
    });
    results.push({
      dataset,
      entity: spec.entity,
      topic: spec.topic,
      inKafka: inKafka.get(spec.topic) ?? 0,
      landed,
      landedObjects: rawKeys.length,
      quarantined,
      quarantinedByReason: byReason,
      rawRows: await countRows(config, spec.rawTable),
      loadedObjects: await loadedObjectCount(config, rawPrefix),
    });
  }
  return results;
}
