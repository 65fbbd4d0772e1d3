/**
 * How far each stage has got with the votes, read from what the stage wrote — landed records
 * from the raw/ object keys (each names its batch's first and last offset), loaded rows from
 * the load manifest — so the benchmark measures the pipeline without changing it.
 */
import type { Config } from "../core/config/index.ts";
import { parseBatchKey } from "../core/lake/keys.ts";
import { listKeys } from "../core/reconcile/stage-counts.ts";
import { postgresPool } from "../core/warehouse/postgres/pool.ts";
import { DEFAULT_RAW_SCHEMA, MANIFEST_TABLE } from "../core/warehouse/raw-tables.ts";

export const VOTES_PREFIX = "raw/elections/votes/";

/** Votes landed in the lake (every raw/ votes object's offset range). */
export async function landedVotes(config: Config): Promise<number> {
  let landed = 0;
  for (const key of await listKeys(config.buckets.raw, VOTES_PREFIX)) {
    const batch = parseBatchKey(key);
    if (batch) landed += Number(batch.lastOffset - batch.firstOffset) + 1;
  }
  return landed;
}

/** raw/ objects holding votes. */
export async function landedObjects(config: Config): Promise<number> {
  return (await listKeys(config.buckets.raw, VOTES_PREFIX)).length;
}

/** Vote rows the loads recorded in the manifest (0 before the first load creates it). */
export async function loadedVotes(config: Config): Promise<number> {
  try {
    const result = await postgresPool(config.postgres.url).query<{ n: string }>(
      `select coalesce(sum(rows_inserted), 0)::bigint as n from ${DEFAULT_RAW_SCHEMA}.${MANIFEST_TABLE} where object_key like $1`,
      [`${VOTES_PREFIX}%`],
    );
    return Number(result.rows[0]?.n ?? 0);
  } catch (error) {
    if ((error as { code?: string }).code === "42P01") return 0;
    throw error;
  }
}
