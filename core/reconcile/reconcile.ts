/**
 * Reconciles dataset topics stage by stage: reads each stage (`readers.ts`) and judges the
 * counts (`verdict.ts`). Where each stage lives is a `TopicLocation`, built from the
 * configuration for the CLI, or pointed at a test's own topic, buckets and schema.
 */
import type { Config } from "../config/index.ts";
import type { Dataset } from "../datasets/index.ts";
import { readKafkaOffsets, readLake, readRawTable, readStagingRows, stagingViewFor } from "./readers.ts";
import { reconcileTopic, type TopicReconciliation } from "./verdict.ts";

export interface TopicLocation {
  readonly dataset: string;
  readonly entity: string;
  readonly topic: string;
  readonly rawBucket: string;
  readonly quarantineBucket: string;
  readonly rawSchema: string;
  readonly rawTable: string;
  readonly stagingSchema: string;
  /** undefined when no staging model reads the raw table. */
  readonly stagingView: string | undefined;
}

export interface ReconcileReport {
  readonly reconciled: boolean;
  readonly topics: readonly TopicReconciliation[];
}

/** Where every topic of the datasets lives, from the configuration and RAW_SCHEMA / DBT_SCHEMA. */
export function topicLocations(
  config: Config,
  datasets: readonly Dataset[],
  env: NodeJS.ProcessEnv = process.env,
): TopicLocation[] {
  return datasets.flatMap((dataset) =>
    dataset.topics.map((spec) => ({
      dataset: dataset.name,
      entity: spec.entity,
      topic: spec.topic,
      rawBucket: config.buckets.raw,
      quarantineBucket: config.buckets.quarantine,
      rawSchema: env.RAW_SCHEMA ?? "raw",
      rawTable: spec.rawTable,
      stagingSchema: env.DBT_SCHEMA ?? "analytics",
      stagingView: stagingViewFor(dataset.name, spec.rawTable),
    })),
  );
}

export async function reconcile(
  config: Config,
  locations: readonly TopicLocation[],
): Promise<ReconcileReport> {
  const kafka = await readKafkaOffsets(
    config,
    locations.map((l) => l.topic),
  );
  const topics: TopicReconciliation[] = [];
  for (const location of locations) {
    const folder = `${location.dataset}/${location.entity}/`;
    const landed = await readLake(location.rawBucket, `raw/${folder}`, location.topic);
    // Rejected rows of uploaded files (…/files/…) never reached Kafka: not counted here.
    const quarantined = await readLake(
      location.quarantineBucket,
      `quarantine/${folder}`,
      location.topic,
      (key) => key.includes("/files/"),
    );
    const raw = await readRawTable(
      config.postgres.url,
      location.rawSchema,
      location.rawTable,
      location.topic,
    );
    const stagingRows = location.stagingView
      ? await readStagingRows(config.postgres.url, location.stagingSchema, location.stagingView)
      : undefined;
    topics.push(
      reconcileTopic({
        dataset: location.dataset,
        entity: location.entity,
        topic: location.topic,
        kafka: kafka.get(location.topic),
        lake: {
          landed: landed.offsets,
          quarantined: quarantined.offsets,
          quarantinedByReason: quarantined.byReason,
          landedLines: landed.lines,
          landedObjects: landed.objects,
          quarantinedLines: quarantined.lines,
          quarantinedObjects: quarantined.objects,
        },
        warehouse: {
          table: `${location.rawSchema}.${location.rawTable}`,
          rows: raw.offsets,
          distinctKeys: raw.distinctKeys,
        },
        staging:
          location.stagingView !== undefined && stagingRows !== undefined
            ? { view: `${location.stagingSchema}.${location.stagingView}`, rows: stagingRows }
            : undefined,
      }),
    );
  }
  return { reconciled: topics.every((t) => t.reconciled), topics };
}
