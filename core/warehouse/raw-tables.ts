/**
 * The raw tables, derived from the dataset declarations: one per topic, named by its
 * `rawTable`. A landed object's key names its dataset and entity, hence its table.
 */
import { type Dataset, datasets as registry } from "../datasets/index.ts";
import { PipelineError } from "../errors.ts";
import { parseBatchKey } from "../lake/index.ts";
import { assertIdentifier } from "./identifiers.ts";

export const DEFAULT_RAW_SCHEMA = "raw";
export const MANIFEST_TABLE = "_load_manifest";

export interface RawTable {
  readonly dataset: string;
  readonly entity: string;
  readonly topic: string;
  readonly table: string;
}

export function rawTables(datasets: readonly Dataset[] = registry): RawTable[] {
  return datasets.flatMap((d) =>
    d.topics.map((t) => ({
      dataset: d.name,
      entity: t.entity,
      topic: t.topic,
      table: assertIdentifier(t.rawTable),
    })),
  );
}

/** The raw table a `raw/` object loads into; throws for keys that aren't landed batches. */
export function rawTableForKey(key: string, datasets: readonly Dataset[] = registry): RawTable {
  const parsed = parseBatchKey(key);
  if (parsed?.area !== "raw") throw new NotARawObjectError(`"${key}" is not a landed raw/ batch`);
  const table = rawTables(datasets).find((t) => t.dataset === parsed.dataset && t.entity === parsed.entity);
  if (!table)
    throw new NotARawObjectError(`no dataset declares ${parsed.dataset}/${parsed.entity} (key "${key}")`);
  return table;
}

export class NotARawObjectError extends PipelineError {}
