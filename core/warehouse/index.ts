export * from "./errors.ts";
export * from "./identifiers.ts";
export * from "./postgres/ddl.ts";
export * from "./postgres/load.ts";
export * from "./postgres/pool.ts";
export * from "./raw-tables.ts";
export * from "./snowflake/sql.ts";
export * from "./target.ts";
