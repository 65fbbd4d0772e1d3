/**
 * Snowflake SQL for the raw layer, built here and unit-tested (it can't run offline):
 * DDL, the manifest lookup, COPY INTO from the external stage over the landed gzip NDJSON
 * files (≤ 1,000 named files per COPY), and the manifest MERGE. Values travel as binds;
 * identifiers are validated; file names come from validated raw/ keys and are quoted.
 */
import { assertIdentifier, sfQualified } from "../identifiers.ts";
import { DEFAULT_RAW_SCHEMA, MANIFEST_TABLE, type RawTable, rawTables } from "../raw-tables.ts";

export interface Statement {
  readonly sql: string;
  readonly binds: readonly (string | number)[];
}

/** Snowflake's limit on named files in one COPY. */
export const MAX_FILES_PER_COPY = 1000;

const RAW_COLUMNS = [
  '"TOPIC"',
  '"PARTITION"',
  '"OFFSET"',
  '"RECORD_KEY"',
  '"PAYLOAD"',
  '"KAFKA_TS"',
  '"SOURCE_OBJECT"',
];

export function snowflakeRawDdl(
  schema: string = DEFAULT_RAW_SCHEMA,
  tables: readonly RawTable[] = rawTables(),
): string[] {
  return [
    `create schema if not exists ${assertIdentifier(schema).toUpperCase()}`,
    ...tables.map(
      (t) => `create table if not exists ${sfQualified(schema, t.table)} (
  "TOPIC" string not null,
  "PARTITION" integer not null,
  "OFFSET" integer not null,
  "RECORD_KEY" string,
  "PAYLOAD" variant not null,
  "KAFKA_TS" timestamp_tz not null,
  "SOURCE_OBJECT" string not null,
  "INGESTED_AT" timestamp_tz not null default current_timestamp(),
  primary key ("TOPIC", "PARTITION", "OFFSET")
)`,
    ),
    `create table if not exists ${sfQualified(schema, MANIFEST_TABLE)} (
  "OBJECT_KEY" string primary key,
  "ETAG" string not null,
  "RAW_TABLE" string not null,
  "ROWS_IN_OBJECT" integer not null,
  "ROWS_INSERTED" integer not null,
  "LOADED_AT" timestamp_tz not null default current_timestamp()
)`,
  ];
}

/** Which of `keys` the manifest already holds. */
export function manifestLookupSql(schema: string, keys: readonly string[]): Statement {
  return {
    sql: `select "OBJECT_KEY" from ${sfQualified(schema, MANIFEST_TABLE)} where "OBJECT_KEY" in (${keys.map(() => "?").join(", ")})`,
    binds: [...keys],
  };
}

export interface CopyIntoInput {
  readonly schema: string;
  readonly table: string;
  /** Stage name, e.g. `RAW.LAKE_STAGE`, whose URL is the raw bucket's root. */
  readonly stage: string;
  /** Object keys relative to the stage (the raw/ keys). */
  readonly keys: readonly string[];
}

export function copyIntoSql({ schema, table, stage, keys }: CopyIntoInput): Statement {
  if (keys.length === 0 || keys.length > MAX_FILES_PER_COPY) {
    throw new RangeError(`a COPY takes 1..${MAX_FILES_PER_COPY} files, got ${keys.length}`);
  }
  if (!/^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*){0,2}$/.test(stage)) {
    throw new RangeError(`invalid stage name "${stage}"`);
  }
  const files = keys.map(quoteLiteral).join(", ");
  return {
    sql: `copy into ${sfQualified(schema, table)} (${RAW_COLUMNS.join(", ")})
from (
  select $1:topic::string, $1:partition::integer, $1:offset::integer, $1:key::string, $1:value,
         to_timestamp_tz($1:timestamp::number, 3), metadata$filename
  from @${stage}
)
files = (${files})
file_format = (type = json compression = gzip)
on_error = abort_statement`,
    binds: [],
  };
}

export interface ManifestRow {
  readonly key: string;
  readonly etag: string;
  readonly table: string;
  readonly rowsInObject: number;
  readonly rowsInserted: number;
}

/** Records loaded objects; a key already present is left alone (so the MERGE is idempotent). */
export function manifestMergeSql(schema: string, rows: readonly ManifestRow[]): Statement {
  if (rows.length === 0) throw new RangeError("manifest MERGE needs at least one row");
  return {
    sql: `merge into ${sfQualified(schema, MANIFEST_TABLE)} m
using (select column1 as object_key, column2 as etag, column3 as raw_table, column4 as rows_in_object, column5 as rows_inserted
       from values ${rows.map(() => "(?, ?, ?, ?, ?)").join(", ")}) s
on m."OBJECT_KEY" = s.object_key
when not matched then insert ("OBJECT_KEY", "ETAG", "RAW_TABLE", "ROWS_IN_OBJECT", "ROWS_INSERTED")
  values (s.object_key, s.etag, s.raw_table, s.rows_in_object, s.rows_inserted)`,
    binds: rows.flatMap((r) => [r.key, r.etag, r.table, r.rowsInObject, r.rowsInserted]),
  };
}

function quoteLiteral(value: string): string {
  return `'${value.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
}
