/**
 * Read-only access to the warehouse's gold layer (PostgreSQL). Every query runs in a READ ONLY
 * transaction, takes its values as parameters, and names only relations fixed in code; the
 * connection is `DASHBOARD_DATABASE_URL` (a read-only role, when the operator made one) or
 * the pipeline's own. A gold table dbt has not built yet is reported as not built, not as an
 * error, so the dashboard works before the first pipeline run.
 */
import type pg from "pg";
import { loadConfig } from "../../core/config/index.ts";
import { pgQualified } from "../../core/warehouse/identifiers.ts";
import { postgresPool } from "../../core/warehouse/postgres/pool.ts";
import { SourceUnavailableError } from "./errors.ts";

/** The gold tables the API reads, by name; the schema is `DBT_SCHEMA` (default analytics). */
export type GoldTable =
  | "dim_candidate"
  | "election_results_by_candidate"
  | "election_results_by_state"
  | "turnout_by_state"
  | "turnout_by_age_band"
  | "turnout_by_gender"
  | "sales_by_region_category_month"
  | "stock_moving_averages";

export type Row = Record<string, unknown>;

/** Rows of a gold query, or `undefined` when one of its tables does not exist yet. */
export async function queryGold(
  sql: (table: (name: GoldTable) => string) => string,
  params: readonly unknown[] = [],
): Promise<Row[] | undefined> {
  const config = loadConfig();
  if (config.warehouse !== "postgres") {
    throw new SourceUnavailableError(
      "the warehouse",
      new Error("the dashboard reads PostgreSQL only so far"),
    );
  }
  const schema = process.env.DBT_SCHEMA ?? "analytics";
  const text = sql((name) => pgQualified(schema, name));
  let client: pg.PoolClient;
  try {
    client = await postgresPool(process.env.DASHBOARD_DATABASE_URL ?? config.postgres.url).connect();
  } catch (error) {
    throw new SourceUnavailableError("the warehouse", error);
  }
  try {
    await client.query("begin transaction read only");
    const result = await client.query(text, params as unknown[]);
    await client.query("commit");
    return result.rows as Row[];
  } catch (error) {
    await client.query("rollback").catch(() => undefined);
    if ((error as { code?: string }).code === UNDEFINED_TABLE) return undefined;
    throw new SourceUnavailableError("the warehouse", error);
  } finally {
    client.release();
  }
}

const UNDEFINED_TABLE = "42P01";

/** numeric/bigint columns come back from pg as strings: the API answers numbers. */
export function num(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

/** A date or timestamp column as YYYY-MM-DD. */
export function day(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  const date = value instanceof Date ? value : new Date(String(value));
  return Number.isNaN(date.getTime()) ? String(value) : date.toISOString().slice(0, 10);
}
