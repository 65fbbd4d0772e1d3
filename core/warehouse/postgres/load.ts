/**
 * Loads one landed object into its raw table, exactly once, in ONE transaction:
 *
 * 1. insert the manifest row first (`on conflict do nothing`): if the key is already there
 *    the object was loaded (or is being loaded: the insert waits on the other transaction's
 *    row lock and then finds it) → nothing to do;
 * 2. take the transaction's advisory lock of the object's (raw table, topic, partition), so the
 *    loads of one partition run one at a time, and look whether any row of the object's offset
 *    range (its key's first–last) is in the raw table already;
 * 3. none (the usual case: a new batch) → the lean path: COPY the lines, turned into the raw
 *    table's columns by `raw-rows.ts`, straight into the raw table, under a savepoint;
 *    some (a batch delivered or landed again under another key), or the lean COPY refused a
 *    line or hit a key or data error → the dedupe path: COPY the gunzipped lines into a temp
 *    table, then insert them into the raw table `on conflict (topic, partition, "offset") do
 *    nothing`, so a record landed twice under different keys is still stored once;
 * 4. complete the manifest row with the counts and the path taken; commit.
 *
 * Why the lock makes the lean path safe: a concurrent load of an overlapping object of the same
 * partition waits for this transaction to end, and its range check then sees this load's rows
 * (READ COMMITTED: each statement reads what was committed before it began). Loads of other
 * partitions and tables do not wait. A lean COPY that meets a duplicate anyway — a line outside
 * the key's range, a row some loader wrote without the lock — fails with a unique violation,
 * is rolled back to the savepoint and the dedupe path loads the object: the lean path can
 * change how fast an object loads, never what ends up in the raw table.
 */
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { gunzipStream, parseBatchKey } from "../../lake/index.ts";
import { LoadError } from "../errors.ts";
import { pgQualified } from "../identifiers.ts";
import { DEFAULT_RAW_SCHEMA, MANIFEST_TABLE, type RawTable, rawTableForKey } from "../raw-tables.ts";
import { copyTextEscaper } from "./copy-text.ts";
import { postgresRawDdl } from "./ddl.ts";
import { LEAN_COLUMNS, LeanRows, NotLeanLineError } from "./raw-rows.ts";

export interface LandedObject {
  readonly key: string;
  readonly etag: string;
  /** Opens the object's (gzip) body; only called when the object still needs loading. */
  readonly open: () => Promise<Readable>;
}

/**
 * How an object was loaded (the manifest's `load_path`): `copy`, the lean COPY straight into
 * the raw table; `dedupe`, the temp table and `insert … on conflict do nothing` because rows of
 * the object's range were there already; `dedupe-after-copy`, the dedupe path after the lean
 * COPY was tried and rolled back (a line it does not take, a duplicate key, a data error).
 */
export type LoadPath = "copy" | "dedupe" | "dedupe-after-copy";

export type LoadResult =
  | {
      readonly status: "loaded";
      readonly key: string;
      readonly table: string;
      readonly rowsInObject: number;
      readonly rowsInserted: number;
      readonly path: LoadPath;
      /** Why the lean COPY was rolled back (`dedupe-after-copy` only). */
      readonly fallback?: string;
    }
  | { readonly status: "skipped"; readonly key: string; readonly table: string };

const ensured = new WeakMap<pg.Pool, Map<string, Promise<void>>>();

/** Creates the raw schema, tables and manifest once per pool and schema (idempotent DDL). */
export function ensureRawSchema(pool: pg.Pool, schema: string = DEFAULT_RAW_SCHEMA): Promise<void> {
  const bySchema = ensured.get(pool) ?? new Map<string, Promise<void>>();
  ensured.set(pool, bySchema);
  let done = bySchema.get(schema);
  if (!done) {
    done = inTransaction(pool, async (client) => {
      // Concurrent `create … if not exists` can still collide in the catalog: serialise.
      await client.query("select pg_advisory_xact_lock(hashtext('pipeline.raw-ddl'))");
      for (const statement of postgresRawDdl(schema)) await client.query(statement);
    });
    done.catch(() => bySchema.delete(schema));
    bySchema.set(schema, done);
  }
  return done;
}

export async function loadObjectPostgres(
  pool: pg.Pool,
  object: LandedObject,
  schema: string = DEFAULT_RAW_SCHEMA,
): Promise<LoadResult> {
  const raw = rawTableForKey(object.key);
  await ensureRawSchema(pool, schema);
  try {
    return await inTransaction(pool, (client) => loadInTransaction(client, object, raw, schema));
  } catch (cause) {
    throw new LoadError(`could not load ${object.key} into ${schema}.${raw.table}`, { cause });
  }
}

async function loadInTransaction(
  client: pg.PoolClient,
  object: LandedObject,
  raw: RawTable,
  schema: string,
): Promise<LoadResult> {
  const manifest = pgQualified(schema, MANIFEST_TABLE);
  const claimed = await client.query(
    `insert into ${manifest} (object_key, etag, raw_table, rows_in_object, rows_inserted)
     values ($1, $2, $3, 0, 0) on conflict (object_key) do nothing`,
    [object.key, object.etag, raw.table],
  );
  if (claimed.rowCount === 0) return { status: "skipped", key: object.key, table: raw.table };

  const batch = parseBatchKey(object.key);
  if (!batch) throw new LoadError(`"${object.key}" is not a landed batch`);
  const table = pgQualified(schema, raw.table);
  const range = {
    topic: raw.topic,
    partition: batch.partition,
    first: batch.firstOffset,
    last: batch.lastOffset,
  };
  await client.query("select pg_advisory_xact_lock(hashtextextended($1, 0))", [
    `pipeline.load ${schema}.${raw.table} ${range.topic} ${range.partition}`,
  ]);
  const overlap = await client.query<{ taken: boolean }>(
    `select exists (select 1 from ${table}
       where topic = $1 and partition = $2 and "offset" between $3 and $4) as taken`,
    [range.topic, range.partition, String(range.first), String(range.last)],
  );

  let counts: { rowsInObject: number; rowsInserted: number } | undefined;
  let path: LoadPath = "dedupe";
  let fallback: string | undefined;
  if (!overlap.rows[0]?.taken) {
    await client.query("savepoint lean_copy");
    try {
      counts = await copyLean(client, object, table, range);
      await client.query("release savepoint lean_copy");
      path = "copy";
    } catch (error) {
      if (!isLeanRefusal(error)) throw error;
      await client.query("rollback to savepoint lean_copy");
      path = "dedupe-after-copy";
      fallback = leanRefusalReason(error);
    }
  }
  counts ??= await copyDeduped(client, object, table);

  await client.query(
    `update ${manifest} set rows_in_object = $2, rows_inserted = $3, load_path = $4 where object_key = $1`,
    [object.key, counts.rowsInObject, counts.rowsInserted, path],
  );
  return {
    status: "loaded",
    key: object.key,
    table: raw.table,
    ...counts,
    path,
    ...(fallback !== undefined && { fallback }),
  };
}

interface Range {
  readonly topic: string;
  readonly partition: number;
  readonly first: bigint;
  readonly last: bigint;
}

/** The lean path: the lines as raw-table rows, COPYed straight into the raw table. */
async function copyLean(
  client: pg.PoolClient,
  object: LandedObject,
  table: string,
  range: Range,
): Promise<{ rowsInObject: number; rowsInserted: number }> {
  const body = gunzipStream(await object.open());
  const rows = new LeanRows({
    topic: range.topic,
    partition: range.partition,
    firstOffset: range.first,
    lastOffset: range.last,
    sourceObject: object.key,
  });
  const copy = client.query(copyFrom(`copy ${table} ${LEAN_COLUMNS} from stdin (format text)`));
  await pipeline(body, rows, copy);
  return { rowsInObject: rows.lines, rowsInserted: Number(copy.rowCount) };
}

/** The dedupe path: the lines into a temp table, then `insert … on conflict do nothing`. */
async function copyDeduped(
  client: pg.PoolClient,
  object: LandedObject,
  table: string,
): Promise<{ rowsInObject: number; rowsInserted: number }> {
  await client.query("create temp table _load_lines (line text) on commit drop");
  // Open the object before COPY starts: a failed open must leave the connection able to roll back.
  const body = gunzipStream(await object.open());
  const copy = client.query(copyFrom("copy _load_lines (line) from stdin (format text)"));
  await pipeline(body, copyTextEscaper(), copy);
  const rowsInObject = Number(copy.rowCount);

  const inserted = await client.query(
    `insert into ${table}
       (topic, partition, "offset", record_key, payload, kafka_ts, source_object)
     select l->>'topic', (l->>'partition')::integer, (l->>'offset')::bigint, l->>'key', l->'value',
            to_timestamp((l->>'timestamp')::double precision / 1000), $1
     from (select line::jsonb as l from _load_lines where line <> '') lines
     on conflict (topic, partition, "offset") do nothing`,
    [object.key],
  );
  return { rowsInObject, rowsInserted: inserted.rowCount ?? 0 };
}

/**
 * What makes the lean COPY give way to the dedupe path: a line it does not take, or
 * PostgreSQL refusing a row — a key it already holds (class 23: integrity) or a value it
 * cannot store (class 22: data). The dedupe path then loads the object, or fails on that very
 * line, as the loader did before the lean path existed. Anything else (the connection, S3)
 * fails the load.
 */
function isLeanRefusal(error: unknown): boolean {
  if (error instanceof NotLeanLineError) return true;
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" && (code.startsWith("23") || code.startsWith("22"));
}

function leanRefusalReason(error: unknown): string {
  const { code, message } = error as { code?: string; message?: string };
  return code ? `${code}: ${message}` : String(message);
}

async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query("begin");
    const result = await work(client);
    await client.query("commit");
    return result;
  } catch (error) {
    await client.query("rollback").catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
