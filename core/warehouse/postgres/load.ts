/**
 * Loads one landed object into its raw table, exactly once, in ONE transaction:
 *
 * 1. insert the manifest row first (`on conflict do nothing`): if the key is already there
 *    the object was loaded (or is being loaded: the insert waits on the other transaction's
 *    row lock and then finds it) → nothing to do;
 * 2. COPY the gunzipped lines into a temp table (streamed, never the whole object in memory);
 * 3. insert them into the raw table `on conflict (topic, partition, "offset") do nothing`,
 *    so a record landed twice under different keys is still stored once;
 * 4. complete the manifest row with the counts; commit.
 */
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { gunzipStream } from "../../lake/index.ts";
import { LoadError } from "../errors.ts";
import { pgQualified } from "../identifiers.ts";
import { DEFAULT_RAW_SCHEMA, MANIFEST_TABLE, type RawTable, rawTableForKey } from "../raw-tables.ts";
import { copyTextEscaper } from "./copy-text.ts";
import { postgresRawDdl } from "./ddl.ts";

export interface LandedObject {
  readonly key: string;
  readonly etag: string;
  /** Opens the object's (gzip) body; only called when the object still needs loading. */
  readonly open: () => Promise<Readable>;
}

export type LoadResult =
  | {
      readonly status: "loaded";
      readonly key: string;
      readonly table: string;
      readonly rowsInObject: number;
      readonly rowsInserted: number;
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

  await client.query("create temp table _load_lines (line text) on commit drop");
  // Open the object before COPY starts: a failed open must leave the connection able to roll back.
  const body = gunzipStream(await object.open());
  const copy = client.query(copyFrom("copy _load_lines (line) from stdin (format text)"));
  await pipeline(body, copyTextEscaper(), copy);
  const rowsInObject = Number(copy.rowCount);

  const inserted = await client.query(
    `insert into ${pgQualified(schema, raw.table)}
       (topic, partition, "offset", record_key, payload, kafka_ts, source_object)
     select l->>'topic', (l->>'partition')::integer, (l->>'offset')::bigint, l->>'key', l->'value',
            to_timestamp((l->>'timestamp')::double precision / 1000), $1
     from (select line::jsonb as l from _load_lines where line <> '') lines
     on conflict (topic, partition, "offset") do nothing`,
    [object.key],
  );
  const rowsInserted = inserted.rowCount ?? 0;
  await client.query(`update ${manifest} set rows_in_object = $2, rows_inserted = $3 where object_key = $1`, [
    object.key,
    rowsInObject,
    rowsInserted,
  ]);
  return { status: "loaded", key: object.key, table: raw.table, rowsInObject, rowsInserted };
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
