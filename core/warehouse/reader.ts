/**
 * Read-only queries on whichever warehouse the pipeline loads, written once: a query is
 * PostgreSQL-flavoured SQL with `$n` parameters whose relations and raw-layer columns come
 * from the reader (`relation`, `column`), so the same text runs on both. PostgreSQL: the
 * pipeline's pool, every read in one READ ONLY transaction (REPEATABLE READ for `snapshot`).
 * Snowflake: core/warehouse/snowflake's key-pair connection (`SNOWFLAKE_SECRET_ID`), `$n`
 * becoming `:n`, column names lower-cased as PostgreSQL answers them; Snowflake has no
 * multi-statement snapshot (READ COMMITTED), so what must agree is read in one statement.
 * A relation that does not exist (yet) reads as `undefined`, not as an error.
 * Used by core/reconcile, the demo's gold sample and the dashboard API.
 */
import type { Config } from "../config/index.ts";
import { pgQualified, sfQualified } from "./identifiers.ts";
import { postgresPool } from "./postgres/pool.ts";
import { isUndefinedTable } from "./postgres/sql-state.ts";

export type Row = Record<string, unknown>;

/** One query: rows, or `undefined` when a relation it reads does not exist. */
export type ReadQuery = (sql: string, params?: readonly (string | number)[]) => Promise<Row[] | undefined>;

export interface WarehouseReader {
  readonly kind: "postgres" | "snowflake";
  /** `schema.table` as this warehouse names a validated lowercase relation. */
  relation(schema: string, table: string): string;
  /** A raw-layer column (`topic`, `offset`, `object_key`, …) as the loaders created it. */
  column(name: string): string;
  /** Runs `read` with queries that see one snapshot where the warehouse has one (PostgreSQL). */
  snapshot<T>(read: (query: ReadQuery) => Promise<T>): Promise<T>;
  /** One query on its own. */
  query: ReadQuery;
}

export interface WarehouseReaderOptions {
  /** PostgreSQL: the URL to read (e.g. the dashboard's read-only role). @default config.postgres.url */
  readonly postgresUrl?: string;
  /** Snowflake: the session's default schema (relations are qualified anyway). @default "raw" */
  readonly schema?: string;
  /** @default process.env */
  readonly env?: Record<string, string | undefined>;
}

/** The reader of the configured warehouse (`config.warehouse`; Snowflake needs SNOWFLAKE_SECRET_ID). */
export function warehouseReader(config: Config, options: WarehouseReaderOptions = {}): WarehouseReader {
  if (config.warehouse === "snowflake") {
    const secretId = (options.env ?? process.env).SNOWFLAKE_SECRET_ID;
    if (!secretId) throw new Error("WAREHOUSE_TARGET=snowflake needs SNOWFLAKE_SECRET_ID");
    return snowflakeReader(secretId, options.schema ?? "raw");
  }
  return postgresReader(options.postgresUrl ?? config.postgres.url);
}

export function postgresReader(url: string): WarehouseReader {
  /** `read` in one read-only transaction; `savepoints`: a missing relation ends its query only. */
  const inTransaction = async <T>(
    begin: string,
    savepoints: boolean,
    read: (query: ReadQuery) => Promise<T>,
  ): Promise<T> => {
    const client = await postgresPool(url).connect();
    let n = 0;
    const query: ReadQuery = async (sql, params = []) => {
      if (!savepoints) return (await client.query(sql, [...params])).rows as Row[];
      const savepoint = `read_${n++}`;
      await client.query(`savepoint ${savepoint}`);
      try {
        const result = await client.query(sql, [...params]);
        await client.query(`release savepoint ${savepoint}`);
        return result.rows as Row[];
      } catch (error) {
        await client.query(`rollback to savepoint ${savepoint}`);
        if (isUndefinedTable(error)) return undefined;
        throw error;
      }
    };
    try {
      await client.query(begin);
      const result = await read(query);
      await client.query("commit");
      return result;
    } catch (error) {
      await client.query("rollback").catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  };
  return {
    kind: "postgres",
    relation: pgQualified,
    column: (name) => (name === "offset" ? '"offset"' : name),
    snapshot: (read) => inTransaction("begin isolation level repeatable read read only", true, read),
    query: async (sql, params) => {
      try {
        return await inTransaction("begin transaction read only", false, (query) => query(sql, params));
      } catch (error) {
        if (isUndefinedTable(error)) return undefined;
        throw error;
      }
    },
  };
}

/** Snowflake's "Object does not exist or not authorized" (and its SQLSTATE). */
export function isSnowflakeObjectMissing(error: unknown): boolean {
  const { code, sqlState } = (error ?? {}) as { code?: unknown; sqlState?: unknown };
  return String(code) === "002003" || sqlState === "42S02";
}

export function snowflakeReader(secretId: string, schema: string): WarehouseReader {
  const query: ReadQuery = async (sql, params = []) => {
    // Imported only here: snowflake-sdk is heavy and only the Snowflake target needs it.
    const { snowflakeExecutor } = await import("./snowflake/connection.ts");
    const execute = await snowflakeExecutor(secretId, schema);
    try {
      return (await execute(toSnowflake(sql), params)).map(lowerCaseKeys);
    } catch (error) {
      if (isSnowflakeObjectMissing(error)) return undefined;
      throw error;
    }
  };
  return {
    kind: "snowflake",
    relation: sfQualified,
    // The loaders create the raw tables' and the manifest's columns quoted in upper case.
    column: (name) => `"${name.toUpperCase()}"`,
    snapshot: (read) => read(query),
    query,
  };
}

/** A query written for PostgreSQL as Snowflake takes it: `$1` binds become `:1`. */
export function toSnowflake(sql: string): string {
  return sql.replace(/\$(\d+)/g, ":$1");
}

/** Snowflake answers unquoted column names in upper case; PostgreSQL in lower case. */
function lowerCaseKeys(row: Row): Row {
  return Object.fromEntries(Object.entries(row).map(([key, value]) => [key.toLowerCase(), value]));
}
