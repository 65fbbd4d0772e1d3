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
import { MANIFEST_TABLE } from "../warehouse/raw-tables.ts";
import { postgresReader, type WarehouseReader } from "../warehouse/reader.ts";
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

/** Where the warehouse is: a reader of core/warehouse (`warehouseReader(config)`), or a PostgreSQL URL. */
export type WarehouseSource = WarehouseReader | string;

function readerOf(source: WarehouseSource): WarehouseReader {
  return typeof source === "string" ? postgresReader(source) : source;
}

/**
 * The raw table's offsets of `topic` as ranges (gaps and islands in SQL), its distinct keys and
 * the staging view's rows. Offsets and keys are one statement (one snapshot on any warehouse);
 * on PostgreSQL the staging count shares it (a repeatable-read transaction): a load committing
 * in between would otherwise make the keys outnumber the rows read before it (a negative
 * `duplicated`) or the staging view disagree with the table it reads. Snowflake has no
 * multi-statement snapshot: a staging count read while dbt or a load runs may differ, which
 * reads as in flight.
 */
export async function readWarehouse(
  warehouse: WarehouseSource,
  location: WarehouseLocation,
): Promise<WarehouseRead> {
  const reader = readerOf(warehouse);
  // Validated before connecting: a bad identifier never reaches SQL.
  const table = reader.relation(location.rawSchema, location.rawTable);
  const view =
    location.stagingView === undefined
      ? undefined
      : reader.relation(location.stagingSchema, location.stagingView);
  const c = (name: string) => reader.column(name);
  return reader.snapshot(async (query) => {
    const islands = await query(
      `select p, min(o) as first_offset, max(o) as last_offset, max(distinct_keys) as distinct_keys
         from (select ${c("partition")} as p, ${c("offset")} as o,
                      ${c("offset")} - row_number() over (partition by ${c("partition")} order by ${c("offset")}) as island,
                      (select count(distinct ${c("record_key")}) from ${table} where ${c("topic")} = $1) as distinct_keys
                 from ${table} where ${c("topic")} = $1) t
        group by p, island
        order by p, first_offset`,
      [location.topic],
    );
    const offsets = new Map<number, OffsetSet>();
    let distinctKeys = 0;
    for (const row of islands ?? []) {
      const partition = Number(row.p);
      const set = offsets.get(partition) ?? new OffsetSet();
      set.addRange(Number(row.first_offset), Number(row.last_offset));
      offsets.set(partition, set);
      distinctKeys = Number(row.distinct_keys);
    }
    let stagingRows: number | undefined;
    if (view) {
      const rows = await query(`select count(*) as n from ${view}`);
      stagingRows = rows === undefined ? undefined : Number(rows[0]?.n ?? 0);
    }
    return { offsets, distinctKeys, stagingRows };
  });
}

/** The load manifest's objects under a key prefix and the rows their loads inserted (0, 0 before the first load). */
export async function readLoadManifest(
  warehouse: WarehouseSource,
  rawSchema: string,
  prefix: string,
): Promise<{ objects: number; rowsInserted: number }> {
  const reader = readerOf(warehouse);
  const rows = await reader.query(
    `select count(*) as objects, coalesce(sum(${reader.column("rows_inserted")}), 0) as inserted
       from ${reader.relation(rawSchema, MANIFEST_TABLE)} where ${reader.column("object_key")} like $1`,
    [`${prefix}%`],
  );
  return { objects: Number(rows?.[0]?.objects ?? 0), rowsInserted: Number(rows?.[0]?.inserted ?? 0) };
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
