/**
 * Which topic an uploaded file feeds, from its key: `incoming/<dataset>/[<entity>/]<file>`.
 * The entity folder may be left out when the dataset has a single topic.
 */
import type { Dataset, TopicSpec } from "../../core/datasets/types.ts";
import { type FileFormat, formatOf } from "../../core/sources/rows.ts";
import { UnroutableFileError } from "./errors.ts";

export const INCOMING_PREFIX = "incoming/";

export interface FileTarget {
  readonly dataset: Dataset;
  readonly spec: TopicSpec;
  readonly format: FileFormat;
}

export function resolveTarget(key: string, datasets: readonly Dataset[]): FileTarget {
  if (!key.startsWith(INCOMING_PREFIX))
    throw new UnroutableFileError(`${key} is not under ${INCOMING_PREFIX}`);
  const parts = key.slice(INCOMING_PREFIX.length).split("/");
  const format = formatOf(key);
  if (!format) throw new UnroutableFileError(`${key}: only .csv, .ndjson and .jsonl files are read`);
  const dataset = datasets.find((d) => d.name === parts[0]);
  if (!dataset) {
    throw new UnroutableFileError(
      `${key}: no dataset "${parts[0]}" (known: ${datasets.map((d) => d.name).join(", ")})`,
    );
  }
  if (parts.length === 2) {
    if (dataset.topics.length === 1) return { dataset, spec: dataset.topics[0] as TopicSpec, format };
    const entities = dataset.topics.map((t) => t.entity).join(", ");
    throw new UnroutableFileError(
      `${key}: ${dataset.name} has several entities (${entities}); upload under incoming/${dataset.name}/<entity>/`,
    );
  }
  if (parts.length === 3) {
    const spec = dataset.topics.find((t) => t.entity === parts[1]);
    if (spec) return { dataset, spec, format };
    const entities = dataset.topics.map((t) => t.entity).join(", ");
    throw new UnroutableFileError(
      `${key}: ${dataset.name} has no entity "${parts[1]}" (it has: ${entities})`,
    );
  }
  throw new UnroutableFileError(`${key}: expected incoming/<dataset>/[<entity>/]<file>`);
}
