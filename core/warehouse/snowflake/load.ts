/**
 * Loads landed objects into Snowflake: skip the keys the manifest holds, one COPY INTO per
 * raw table over up to 1,000 named files, then MERGE the loaded files into the manifest.
 * COPY's own load metadata skips files loaded in the last 64 days; the manifest dedupes for
 * longer. Objects COPY reports as not loaded (already in its load metadata) are recorded
 * with 0 rows inserted.
 */
import { DEFAULT_RAW_SCHEMA, rawTableForKey } from "../raw-tables.ts";
import type { SnowflakeExecutor } from "./connection.ts";
import {
  copyIntoSql,
  MAX_FILES_PER_COPY,
  type ManifestRow,
  manifestLookupSql,
  manifestMergeSql,
} from "./sql.ts";

export interface StagedObject {
  readonly key: string;
  readonly etag: string;
}

export interface SnowflakeLoadResult {
  readonly loaded: readonly ManifestRow[];
  readonly skipped: readonly string[];
}

export async function loadObjectsSnowflake(
  execute: SnowflakeExecutor,
  objects: readonly StagedObject[],
  stage: string,
  schema: string = DEFAULT_RAW_SCHEMA,
): Promise<SnowflakeLoadResult> {
  if (objects.length === 0) return { loaded: [], skipped: [] };
  const lookup = manifestLookupSql(
    schema,
    objects.map((o) => o.key),
  );
  const known = new Set((await execute(lookup.sql, lookup.binds)).map((r) => String(r.OBJECT_KEY)));
  const pending = objects.filter((o) => !known.has(o.key));

  const loaded: ManifestRow[] = [];
  for (const [table, group] of groupByTable(pending)) {
    for (let i = 0; i < group.length; i += MAX_FILES_PER_COPY) {
      const chunk = group.slice(i, i + MAX_FILES_PER_COPY);
      const copy = copyIntoSql({ schema, table, stage, keys: chunk.map((o) => o.key) });
      const rows = await execute(copy.sql, copy.binds);
      // COPY returns one row per file: file, status, rows_parsed, rows_loaded, …
      const byFile = new Map(rows.map((r) => [String(r.file), r]));
      const manifest = chunk.map((o) => {
        const row =
          byFile.get(o.key) ?? [...byFile.entries()].find(([file]) => file.endsWith(`/${o.key}`))?.[1];
        return {
          key: o.key,
          etag: o.etag,
          table,
          rowsInObject: Number(row?.rows_parsed ?? 0),
          rowsInserted: Number(row?.rows_loaded ?? 0),
        };
      });
      const merge = manifestMergeSql(schema, manifest);
      await execute(merge.sql, merge.binds);
      loaded.push(...manifest);
    }
  }
  return { loaded, skipped: [...known] };
}

function groupByTable(objects: readonly StagedObject[]): Map<string, StagedObject[]> {
  const groups = new Map<string, StagedObject[]>();
  for (const object of objects) {
    const { table } = rawTableForKey(object.key);
    groups.set(table, [...(groups.get(table) ?? []), object]);
  }
  return groups;
}
