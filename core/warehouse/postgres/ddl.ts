/** Idempotent PostgreSQL DDL for the raw schema, generated from the dataset declarations. */
import { assertIdentifier, pgQualified } from "../identifiers.ts";
import { DEFAULT_RAW_SCHEMA, MANIFEST_TABLE, type RawTable, rawTables } from "../raw-tables.ts";

export function postgresRawDdl(
  schema: string = DEFAULT_RAW_SCHEMA,
  tables: readonly RawTable[] = rawTables(),
): string[] {
  return [
    `create schema if not exists "${assertIdentifier(schema)}"`,
    ...tables.map(
      (t) => `create table if not exists ${pgQualified(schema, t.table)} (
  topic          text        not null,
  partition      integer     not null,
  "offset"       bigint      not null,
  record_key     text,
  payload        jsonb       not null,
  kafka_ts       timestamptz not null,
  source_object  text        not null,
  ingested_at    timestamptz not null default now(),
  primary key (topic, partition, "offset")
)`,
    ),
    // The incremental models' watermark (dbt/macros/elections.sql): a run reads the rows ingested
    // since it through this index instead of scanning the whole raw table (1.5M votes: 1 s).
    ...tables.map(
      (t) =>
        `create index if not exists "${assertIdentifier(`${t.table}_ingested_at`)}" on ${pgQualified(schema, t.table)} (ingested_at)`,
    ),
    `create table if not exists ${pgQualified(schema, MANIFEST_TABLE)} (
  object_key     text primary key,
  etag           text not null,
  raw_table      text not null,
  rows_in_object integer not null,
  rows_inserted  integer not null,
  loaded_at      timestamptz not null default now(),
  load_path      text
)`,
    // Manifests made before the lean load path: their rows keep a null path.
    `alter table ${pgQualified(schema, MANIFEST_TABLE)} add column if not exists load_path text`,
  ];
}
