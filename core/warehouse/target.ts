/**
 * The warehouse a loader writes to, chosen by `WAREHOUSE_TARGET`, and the one function both
 * load-raw and load-pending call to load landed objects into it.
 */

import type { Readable } from "node:stream";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import type pg from "pg";
import { s3 } from "../aws/clients.ts";
import { loadConfig } from "../config/index.ts";
import type { ObjectRef } from "../lake/index.ts";
import { assertIdentifier, pgQualified } from "./identifiers.ts";
import { ensureRawSchema, type LoadPath, loadObjectPostgres } from "./postgres/load.ts";
import { postgresPool } from "./postgres/pool.ts";
import { DEFAULT_RAW_SCHEMA, MANIFEST_TABLE } from "./raw-tables.ts";
import { isSnowflakeObjectMissing } from "./reader.ts";
import { snowflakeExecutor } from "./snowflake/connection.ts";
import { loadObjectsSnowflake } from "./snowflake/load.ts";
import { MAX_FILES_PER_COPY, manifestLookupSql } from "./snowflake/sql.ts";

export type WarehouseTarget =
  | { readonly kind: "postgres"; readonly pool: pg.Pool; readonly schema: string }
  | {
      readonly kind: "snowflake";
      readonly secretId: string;
      readonly stage: string;
      readonly schema: string;
    };

/** From the environment: WAREHOUSE_TARGET, RAW_SCHEMA (default raw), SNOWFLAKE_SECRET_ID, SNOWFLAKE_STAGE. */
export function warehouseTarget(env: Record<string, string | undefined> = process.env): WarehouseTarget {
  const config = loadConfig(env);
  const schema = assertIdentifier(env.RAW_SCHEMA ?? DEFAULT_RAW_SCHEMA);
  if (config.warehouse === "postgres")
    return { kind: "postgres", pool: postgresPool(config.postgres.url), schema };
  const secretId = env.SNOWFLAKE_SECRET_ID;
  const stage = env.SNOWFLAKE_STAGE;
  if (!secretId || !stage)
    throw new Error("WAREHOUSE_TARGET=snowflake needs SNOWFLAKE_SECRET_ID and SNOWFLAKE_STAGE");
  return { kind: "snowflake", secretId, stage, schema };
}

export interface ObjectLoad {
  readonly key: string;
  readonly status: "loaded" | "skipped";
  readonly rowsInserted: number;
  /** PostgreSQL: how a loaded object went in (`postgres/load.ts`); Snowflake always COPYs. */
  readonly path?: LoadPath;
  readonly fallback?: string;
}

/** Loads objects of the raw bucket; each is loaded at most once (see the warehouse loaders). */
export async function loadObjects(
  target: WarehouseTarget,
  objects: readonly ObjectRef[],
): Promise<ObjectLoad[]> {
  if (target.kind === "snowflake") {
    const execute = await snowflakeExecutor(target.secretId, target.schema);
    const result = await loadObjectsSnowflake(execute, objects, target.stage, target.schema);
    return [
      ...result.loaded.map((r) => ({ key: r.key, status: "loaded" as const, rowsInserted: r.rowsInserted })),
      ...result.skipped.map((key) => ({ key, status: "skipped" as const, rowsInserted: 0 })),
    ];
  }
  const loads: ObjectLoad[] = [];
  for (const object of objects) {
    const result = await loadObjectPostgres(
      target.pool,
      { key: object.key, etag: object.etag, open: () => openObject(object) },
      target.schema,
    );
    loads.push(
      result.status === "loaded"
        ? {
            key: result.key,
            status: result.status,
            rowsInserted: result.rowsInserted,
            path: result.path,
            ...(result.fallback !== undefined && { fallback: result.fallback }),
          }
        : { key: result.key, status: result.status, rowsInserted: 0 },
    );
  }
  return loads;
}

async function openObject(object: ObjectRef): Promise<Readable> {
  const response = await s3().send(new GetObjectCommand({ Bucket: object.bucket, Key: object.key }));
  return response.Body as Readable;
}

/** The keys among `keys` the manifest doesn't hold yet (all of them before the first load). */
export async function unloadedKeys(target: WarehouseTarget, keys: readonly string[]): Promise<Set<string>> {
  if (keys.length === 0) return new Set(keys);
  if (target.kind === "snowflake") return unloadedKeysSnowflake(target, keys);
  await ensureRawSchema(target.pool, target.schema);
  const { rows } = await target.pool.query<{ object_key: string }>(
    `select object_key from ${pgQualified(target.schema, MANIFEST_TABLE)} where object_key = any($1)`,
    [keys],
  );
  const loaded = new Set(rows.map((r) => r.object_key));
  return new Set(keys.filter((k) => !loaded.has(k)));
}

async function unloadedKeysSnowflake(
  target: Extract<WarehouseTarget, { kind: "snowflake" }>,
  keys: readonly string[],
): Promise<Set<string>> {
  const execute = await snowflakeExecutor(target.secretId, target.schema);
  const unloaded = new Set(keys);
  for (let i = 0; i < keys.length; i += MAX_FILES_PER_COPY) {
    const lookup = manifestLookupSql(target.schema, keys.slice(i, i + MAX_FILES_PER_COPY));
    try {
      for (const row of await execute(lookup.sql, lookup.binds)) unloaded.delete(String(row.OBJECT_KEY));
    } catch (error) {
      // No manifest before the first load: nothing is loaded.
      if (isSnowflakeObjectMissing(error)) return unloaded;
      throw error;
    }
  }
  return unloaded;
}
