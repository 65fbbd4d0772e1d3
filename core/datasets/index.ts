/**
 * The dataset registry. Everything that iterates over datasets (topic creation, landing,
 * loading, reconcile, the CDK topic list) reads this list; add a dataset by adding it here.
 */

import { PipelineError } from "../errors.ts";
import { elections } from "./elections/index.ts";
import { sales } from "./sales/index.ts";
import { stocks } from "./stocks/index.ts";
import type { Dataset, TopicSpec } from "./types.ts";

export const datasets: readonly Dataset[] = [elections, sales, stocks];

/** Topics the real-time aggregate publishes (compacted, keyed by candidate / state). */
export const aggregatedTopics = ["aggregated_votes_per_candidate", "aggregated_turnout_by_location"] as const;

export function getDataset(name: string): Dataset {
  const found = datasets.find((d) => d.name === name);
  if (!found) {
    throw new UnknownDatasetError(
      `unknown dataset "${name}" (known: ${datasets.map((d) => d.name).join(", ")})`,
    );
  }
  return found;
}

/** The dataset and topic spec a Kafka topic belongs to, or undefined for a topic we don't own. */
export function findTopic(topic: string): { dataset: Dataset; spec: TopicSpec } | undefined {
  for (const dataset of datasets) {
    const spec = dataset.topics.find((t) => t.topic === topic);
    if (spec) return { dataset, spec };
  }
  return undefined;
}

export class UnknownDatasetError extends PipelineError {}

export type { Dataset, TopicSpec } from "./types.ts";
