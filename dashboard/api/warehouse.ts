/**
 * Read-only access to the warehouse's gold layer, on the configured target. Queries take their
 * values as parameters and name only relations fixed in code (schema `DBT_SCHEMA`, default
 * analytics). PostgreSQL: every query runs in a READ ONLY transaction, on
 * `DASHBOARD_DATABASE_URL` (a read-only role, when the operator made one) or the pipeline's own
 * connection. Snowflake: through core/warehouse's key-pair connection (`SNOWFLAKE_SECRET_ID`;
 * its role decides what it may read). A gold table dbt has not built yet is reported as not
 * built, not as an error, so the dashboard works before the first pipeline run.
 */
import type pg from "pg";
import { loadConfig } from "../../core/config/index.ts";
import { dbtSchema } from "../../core/dbt/schema.ts";
import { pgQualified, sfQualified } from "../../core/warehouse/identifiers.ts";
import { postgresPool } from "../../core/warehouse/postgres/pool.ts";
import { isUndefinedTable } from "../../core/warehouse/postgres/sql-state.ts";
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

export type Row = Record<string, unknown>;

/** Rows of a gold query (written for PostgreSQL, `$n` parameters), or `undefined` when a table does not exist yet. */
export async function queryGold(
  sql: (table: (name: GoldTable) => string) => string,
  params: readonly string[] = [],
): Promise<Row[] | undefined> {
  const config = loadConfig();
  const schema = dbtSchema();
  if (config.warehouse === "snowflake") {
    return querySnowflake(toSnowflake(sql((name) => sfQualified(schema, name))), params);
  }
  return queryPostgres(
    process.env.DASHBOARD_DATABASE_URL ?? config.postgres.url,
    sql((name) => pgQualified(schema, name)),
    params,
  );
}

async function queryPostgres(
  url: string,
  text: string,
  params: readonly string[],
): Promise<Row[] | undefined> {
  let client: pg.PoolClient;
  try {
    client = await postgresPool(url).connect();
  } catch (error) {
    throw new SourceUnavailableError("the warehouse", error);
  }
  try {
    await client.query("begin transaction read only");
    const result = await client.query(text, [...params]);
    await client.query("commit");
    return result.rows as Row[];
  } catch (error) {
    await client.query("rollback").catch(() => undefined);
    if (isUndefinedTable(error)) return undefined;
    throw new SourceUnavailableError("the warehouse", error);
  } finally {
    client.release();
  }
}

async function querySnowflake(text: string, params: readonly string[]): Promise<Row[] | undefined> {
  const secretId = process.env.SNOWFLAKE_SECRET_ID;
  try {
    if (!secretId) throw new Error("WAREHOUSE_TARGET=snowflake needs SNOWFLAKE_SECRET_ID");
    // Imported only here: snowflake-sdk is heavy and only the Snowflake target needs it.
    const { snowflakeExecutor } = await import("../../core/warehouse/snowflake/connection.ts");
    const execute = await snowflakeExecutor(secretId, dbtSchema());
    return (await execute(text, params)).map(lowerCaseKeys);
  } catch (error) {
    const { code, sqlState } = error as { code?: unknown; sqlState?: unknown };
    if (String(code) === SF_OBJECT_DOES_NOT_EXIST || sqlState === "42S02") return undefined;
    throw new SourceUnavailableError("the warehouse", error);
  }
}

const SF_OBJECT_DOES_NOT_EXIST = "002003";

/** A query written for PostgreSQL as Snowflake takes it: `$1` binds become `:1`. */
export function toSnowflake(sql: string): string {
  return sql.replace(/\$(\d+)/g, ":$1");
}

/** Snowflake answers unquoted column names in upper case. */
function lowerCaseKeys(row: Row): Row {
  return Object.fromEntries(Object.entries(row).map(([key, value]) => [key.toLowerCase(), value]));
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
