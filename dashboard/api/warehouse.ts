/**
 * Read-only access to the warehouse's gold layer, on the configured target. Queries take their
 * values as parameters and name only relations fixed in code (schema `DBT_SCHEMA`, default
 * analytics). PostgreSQL: every query runs in a READ ONLY transaction, on
 * `DASHBOARD_DATABASE_URL` (a read-only role, when the operator made one) or the pipeline's own
 * connection. Snowflake: through core/warehouse's key-pair connection (`SNOWFLAKE_SECRET_ID`;
 * its role decides what it may read). A gold table dbt has not built yet is reported as not
 * built, not as an error, so the dashboard works before the first pipeline run.
 */
import { loadConfig } from "../../core/config/index.ts";
import { dbtSchema } from "../../core/dbt/schema.ts";
import { type Row, warehouseReader } from "../../core/warehouse/reader.ts";
import { SourceUnavailableError } from "./errors.ts";

/** The gold tables the API reads, by name; the schema is `DBT_SCHEMA` (default analytics). */
export type GoldTable =
  | "dim_candidate"
  | "fct_votes"
  | "election_results_by_candidate"
  | "election_results_by_state"
  | "turnout_by_state"
  | "turnout_by_age_band"
  | "turnout_by_gender"
  | "sales_by_region_category_month"
  | "stock_moving_averages";

export type { Row };

/** Rows of a gold query (written for PostgreSQL, `$n` parameters), or `undefined` when a table does not exist yet. */
export async function queryGold(
  sql: (table: (name: GoldTable) => string) => string,
  params: readonly string[] = [],
): Promise<Row[] | undefined> {
  const schema = dbtSchema();
  try {
    // The warehouse-neutral reader of core/warehouse: READ ONLY on PostgreSQL, the key-pair
    // connection on Snowflake (`$n` as `:n`, column names lower-cased).
    const reader = warehouseReader(loadConfig(), {
      postgresUrl: process.env.DASHBOARD_DATABASE_URL,
      schema,
    });
    return await reader.query(
      sql((name) => reader.relation(schema, name)),
      params,
    );
  } catch (error) {
    throw new SourceUnavailableError("the warehouse", error);
  }
}

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
