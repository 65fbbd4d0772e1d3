/**
 * One reader per stage, each reading what the stage itself holds: Kafka's offsets (and a
 * consumer group's committed ones), the distinct (partition, offset) pairs of the lake's gzip
 * NDJSON objects, and the warehouse — the raw table's offset ranges and distinct keys, the
 * staging view's rows and the load manifest, in one snapshot. Every reader filters on the
 * topic itself, so other topics' records under the same prefix or table are ignored.
 * `pipeline reconcile`, the demo's summary and wait, the dashboard's stages API and the
 * benchmark all count with these (the meaning of each count: README.md).
 */
import { readdirSync, readFileSync } from "node:fs";
import type { Readable } from "node:stream";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { s3 } from "../aws/clients.ts";
import type { Config } from "../config/index.ts";
import { type Admin, createKafka, topicOffsets } from "../kafka/client.ts";
import { listKeys } from "../lake/list-keys.ts";
import { decodeNdjsonGz } from "../lake/ndjson.ts";
import { pgQualified } from "../warehouse/identifiers.ts";
import { postgresPool } from "../warehouse/postgres/pool.ts";
import { isUndefinedTable } from "../warehouse/postgres/sql-state.ts";
import { MANIFEST_TABLE } from "../warehouse/raw-tables.ts";
import { OffsetSet } from "./offset-set.ts";
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

/** A consumer group's committed offset per partition of each topic (−1: never committed). */
export async function readCommittedOffsets(
  admin: Admin,
  groupId: string,
  topics: readonly string[],
): Promise<Map<string, Map<number, number>>> {
  const committed = await admin.fetchOffsets({ groupId, topics: [...topics] });
  return new Map(
    committed.map(({ topic, partitions }) => [
      topic,
      new Map(partitions.map((p) => [p.partition, Number(p.offset)])),
    ]),
  );
}

/** Records a consumer group has not committed yet, over the topics (from the start when it never committed). */
export async function readConsumerLag(
  config: Config,
  groupId: string,
  topics: readonly string[],
): Promise<number> {
  const admin = createKafka(config.kafka, "-lag").admin();
  await admin.connect();
  try {
    let lag = 0;
    for (const [topic, partitions] of await readCommittedOffsets(admin, groupId, topics)) {
      for (const end of await topicOffsets(admin, topic)) {
        const done = partitions.get(end.partition) ?? -1;
        lag += Number(end.high) - (done < 0 ? Number(end.low) : done);
      }
    }
    return lag;
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

/** Where one topic's rows are in the warehouse. */
export interface WarehouseLocation {
  readonly topic: string;
  readonly rawSchema: string;
  readonly rawTable: string;
  readonly stagingSchema: string;
  /** undefined when no staging model reads the raw table. */
  readonly stagingView: string | undefined;
}

export interface WarehouseRead {
  /** The raw table's offsets of the topic, per partition (empty before the first load). */
  readonly offsets: Map<number, OffsetSet>;
  /** Distinct record keys of the topic in the raw table. */
  readonly distinctKeys: number;
  /** Rows of the staging view; undefined when dbt has not built it. */
  readonly stagingRows: number | undefined;
}

/**
 * The raw table's offsets of `topic` as ranges (gaps and islands in SQL), its distinct keys and
 * the staging view's rows, read in ONE snapshot (a repeatable-read transaction): a load
 * committing in between would otherwise make the keys outnumber the rows read before it (a
 * negative `duplicated`) or the staging view disagree with the table it reads.
 */
export async function readWarehouse(
  databaseUrl: string,
  location: WarehouseLocation,
): Promise<WarehouseRead> {
  // Validated before connecting: a bad identifier never reaches SQL.
  const table = pgQualified(location.rawSchema, location.rawTable);
  const view =
    location.stagingView === undefined
      ? undefined
      : pgQualified(location.stagingSchema, location.stagingView);
  const client = await postgresPool(databaseUrl).connect();
  try {
    await client.query("begin isolation level repeatable read read only");
    // to_regclass: a table not created yet (or a schema dbt has not made) is null, not an error
    // that would end the transaction.
    const exists = await client.query<{ table: string | null; view: string | null }>(
      "select to_regclass($1)::text as table, to_regclass($2)::text as view",
      [table, view ?? null],
    );
    const offsets = new Map<number, OffsetSet>();
    let distinctKeys = 0;
    if (exists.rows[0]?.table) {
      const islands = await client.query<{ partition: number; first: string; last: string }>(
        `select partition, min("offset")::text as first, max("offset")::text as last
           from (select partition, "offset",
                        "offset" - row_number() over (partition by partition order by "offset") as island
                   from ${table} where topic = $1) t
          group by partition, island
          order by partition, first`,
        [location.topic],
      );
      for (const row of islands.rows) {
        const set = offsets.get(row.partition) ?? new OffsetSet();
        set.addRange(Number(row.first), Number(row.last));
        offsets.set(row.partition, set);
      }
      const keys = await client.query<{ n: string }>(
        `select count(distinct record_key)::bigint as n from ${table} where topic = $1`,
        [location.topic],
      );
      distinctKeys = Number(keys.rows[0]?.n ?? 0);
    }
    let stagingRows: number | undefined;
    if (view && exists.rows[0]?.view) {
      const rows = await client.query<{ n: string }>(`select count(*)::bigint as n from ${view}`);
      stagingRows = Number(rows.rows[0]?.n ?? 0);
    }
    await client.query("commit");
    return { offsets, distinctKeys, stagingRows };
  } catch (error) {
    await client.query("rollback").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** The load manifest's objects under a key prefix and the rows their loads inserted (0, 0 before the first load). */
export async function readLoadManifest(
  databaseUrl: string,
  rawSchema: string,
  prefix: string,
): Promise<{ objects: number; rowsInserted: number }> {
  try {
    const result = await postgresPool(databaseUrl).query<{ objects: string; rows: string }>(
      `select count(*)::bigint as objects, coalesce(sum(rows_inserted), 0)::bigint as rows
         from ${pgQualified(rawSchema, MANIFEST_TABLE)} where object_key like $1`,
      [`${prefix}%`],
    );
    return { objects: Number(result.rows[0]?.objects ?? 0), rowsInserted: Number(result.rows[0]?.rows ?? 0) };
  } catch (error) {
    if (isUndefinedTable(error)) return { objects: 0, rowsInserted: 0 };
    throw error;
  }
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
