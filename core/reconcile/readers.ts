/**
 * Reads one topic's stages as plain data for the verdict: offsets from Kafka, distinct
 * (partition, offset) pairs from the lake's gzip NDJSON objects, offset ranges and distinct
 * keys from the raw table, and the row count of the staging view. Every reader filters on
 * the topic itself, so other topics' records under the same prefix or table are ignored.
 */
import { readdirSync, readFileSync } from "node:fs";
import type { Readable } from "node:stream";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { s3 } from "../aws/clients.ts";
import type { Config } from "../config/index.ts";
import { createKafka, topicOffsets } from "../kafka/client.ts";
import { decodeNdjsonGz } from "../lake/ndjson.ts";
import { pgQualified } from "../warehouse/identifiers.ts";
import { postgresPool } from "../warehouse/postgres/pool.ts";
import { OffsetSet } from "./offset-set.ts";
import { listKeys } from "./stage-counts.ts";
import type { PartitionOffsets } from "./verdict.ts";

/** Start and end offsets of each topic's partitions; undefined for a topic that doesn't exist. */
export async function readKafkaOffsets(
  config: Config,
  topics: readonly string[],
): Promise<Map<string, PartitionOffsets[] | undefined>> {
  const admin = createKafka(config.kafka, "-reconcile").admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const result = new Map<string, PartitionOffsets[] | undefined>();
    for (const topic of topics) {
      if (!existing.has(topic)) {
        result.set(topic, undefined);
        continue;
      }
      const offsets = await topicOffsets(admin, topic);
      result.set(
        topic,
        offsets.map((p) => ({ partition: p.partition, low: Number(p.low), high: Number(p.high) })),
      );
    }
    return result;
  } finally {
    await admin.disconnect();
  }
}

/** Objects read at once by `readLake`. */
export const LAKE_READ_CONCURRENCY = 4;

export interface LakeRead {
  readonly offsets: Map<number, OffsetSet>;
  readonly byReason: Record<string, number>;
  readonly lines: number;
  readonly objects: number;
}

interface LakeLine {
  readonly topic?: string;
  readonly partition?: number;
  readonly offset?: number;
  readonly reason?: string;
}

/**
 * Distinct (partition, offset) pairs of `topic` in the gzip NDJSON objects under a prefix.
 * A batch landed twice under two keys (a crash between writing and committing) counts once.
 * `skip` leaves keys out (file-to-topic's rejected file rows are not Kafka records).
 */
export async function readLake(
  bucket: string,
  prefix: string,
  topic: string,
  skip: (key: string) => boolean = () => false,
): Promise<LakeRead> {
  const keys = (await listKeys(bucket, prefix).catch(() => [])).filter((k) => !skip(k));
  // In partition then offset order, so the offset sets mostly append.
  keys.sort((a, b) => sortKey(a).localeCompare(sortKey(b)));
  const offsets = new Map<number, OffsetSet>();
  const byReason: Record<string, number> = {};
  let lines = 0;
  let objects = 0;
  const readObject = async (key: string) => {
    const object = await s3().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    let ours = false;
    for await (const line of decodeNdjsonGz<LakeLine>(object.Body as Readable)) {
      if (line.topic !== topic || typeof line.partition !== "number" || typeof line.offset !== "number")
        continue;
      ours = true;
      lines += 1;
      let set = offsets.get(line.partition);
      if (!set) {
        set = new OffsetSet();
        offsets.set(line.partition, set);
      }
      if (set.add(line.offset) && line.reason !== undefined) {
        const kind = line.reason.split(":")[0] || "unknown";
        byReason[kind] = (byReason[kind] ?? 0) + 1;
      }
    }
    if (ours) objects += 1;
  };
  // A few objects at a time (downloads overlap); sets don't depend on the order lines arrive in.
  let next = 0;
  const worker = async () => {
    while (next < keys.length) await readObject(keys[next++] as string);
  };
  await Promise.all(Array.from({ length: LAKE_READ_CONCURRENCY }, worker));
  return { offsets, byReason, lines, objects };
}

/** `…/p=<partition>/<first>-<last>.ndjson.gz` → "<partition, padded>/<first>" (offsets are already padded). */
function sortKey(key: string): string {
  const match = /\/p=(\d+)\/(\d+)-/.exec(key);
  return match ? `${(match[1] ?? "").padStart(6, "0")}/${match[2]}` : key;
}

export interface RawTableRead {
  readonly offsets: Map<number, OffsetSet>;
  readonly distinctKeys: number;
}

/** The raw table's offsets of `topic` as ranges (gaps and islands in SQL), and its distinct keys. */
export async function readRawTable(
  databaseUrl: string,
  schema: string,
  table: string,
  topic: string,
): Promise<RawTableRead> {
  const pool = postgresPool(databaseUrl);
  const qualified = pgQualified(schema, table);
  try {
    const islands = await pool.query<{ partition: number; first: string; last: string }>(
      `select partition, min("offset")::text as first, max("offset")::text as last
         from (select partition, "offset",
                      "offset" - row_number() over (partition by partition order by "offset") as island
                 from ${qualified} where topic = $1) t
        group by partition, island
        order by partition, first`,
      [topic],
    );
    const offsets = new Map<number, OffsetSet>();
    for (const row of islands.rows) {
      const set = offsets.get(row.partition) ?? new OffsetSet();
      set.addRange(Number(row.first), Number(row.last));
      offsets.set(row.partition, set);
    }
    const keys = await pool.query<{ n: string }>(
      `select count(distinct record_key)::bigint as n from ${qualified} where topic = $1`,
      [topic],
    );
    return { offsets, distinctKeys: Number(keys.rows[0]?.n ?? 0) };
  } catch (error) {
    // The table appears with the first load; before that it holds nothing.
    if (isUndefinedTable(error)) return { offsets: new Map(), distinctKeys: 0 };
    throw error;
  }
}

/** Rows of a staging view, or undefined when dbt has not built it. */
export async function readStagingRows(
  databaseUrl: string,
  schema: string,
  view: string,
): Promise<number | undefined> {
  try {
    const result = await postgresPool(databaseUrl).query<{ n: string }>(
      `select count(*)::bigint as n from ${pgQualified(schema, view)}`,
    );
    return Number(result.rows[0]?.n ?? 0);
  } catch (error) {
    if (isUndefinedTable(error) || (error as { code?: string }).code === "3F000") return undefined;
    throw error;
  }
}

function isUndefinedTable(error: unknown): boolean {
  return (error as { code?: string }).code === "42P01";
}

const STAGING_MODELS = new URL("../../dbt/models/staging/", import.meta.url);

/**
 * The staging model reading a raw table: the `stg_*.sql` of the dataset's staging folder that
 * selects from `source('<dataset>', '<raw table>')` (undefined when none does).
 */
export function stagingViewFor(
  dataset: string,
  rawTable: string,
  models: URL = STAGING_MODELS,
): string | undefined {
  const folder = new URL(`${dataset}/`, models);
  let files: string[];
  try {
    files = readdirSync(folder).filter((f) => /^stg_.*\.sql$/.test(f));
  } catch {
    return undefined;
  }
  const source = new RegExp(`source\\(\\s*['"]${dataset}['"]\\s*,\\s*['"]${rawTable}['"]\\s*\\)`);
  const file = files.find((f) => source.test(readFileSync(new URL(f, folder), "utf8")));
  return file?.replace(/\.sql$/, "");
}
