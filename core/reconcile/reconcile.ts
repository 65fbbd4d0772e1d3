/**
 * Reconciles dataset topics stage by stage: reads each stage (`readers.ts`) and judges the
 * counts (`verdict.ts`). Where each stage lives is a `TopicLocation`, built from the
 * configuration for the CLI, or pointed at a test's own topic, buckets and schema.
 *
 * The stages are read downstream first — the warehouse (one snapshot), then the lake, then
 * Kafka — so a record moving along while we read can only look "not there yet" (not landed,
 * not loaded), never "there without its source". Whether such records are lost or in flight
 * is told by watching the stages move: see `settled`.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Config } from "../config/index.ts";
import type { Dataset } from "../datasets/index.ts";
import { dbtSchema } from "../dbt/schema.ts";
import { listKeys } from "../lake/list-keys.ts";
import { DEFAULT_RAW_SCHEMA } from "../warehouse/raw-tables.ts";
import { type WarehouseReader, warehouseReader } from "../warehouse/reader.ts";
import {
  readKafkaOffsets,
  readLake,
  readLoadManifest,
  readWarehouse,
  stagingViewFor,
  type WarehouseLocation,
} from "./readers.ts";
import { reconcileTopic, type StageData, type TopicReconciliation } from "./verdict.ts";

export interface TopicLocation extends WarehouseLocation {
  readonly dataset: string;
  readonly entity: string;
  readonly rawBucket: string;
  readonly quarantineBucket: string;
}

export interface ReconcileReport {
  /** Every topic reconciled. */
  readonly reconciled: boolean;
  /**
   * false when the stages moved while they were read (new offsets in Kafka, new objects in
   * the lake, new loads): what is missing is then in flight, not lost — read again.
   */
  readonly settled: boolean;
  readonly topics: readonly TopicReconciliation[];
}

export interface ReconcileOptions {
  /**
   * When the counts don't reconcile, how long (from the start of the read) to watch the
   * stages for movement before calling what is missing lost. @default 2000
   */
  readonly settleMs?: number;
  /** The warehouse to read. @default the configured one (`warehouseReader(config)`) */
  readonly warehouse?: WarehouseReader;
}

/** `pipeline reconcile`'s exit status: 0 reconciled, 1 records unaccounted for (settled), 2 still in flight. */
export function exitStatus(report: ReconcileReport): 0 | 1 | 2 {
  if (report.reconciled) return 0;
  return report.settled ? 1 : 2;
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
      rawSchema: env.RAW_SCHEMA ?? DEFAULT_RAW_SCHEMA,
      rawTable: spec.rawTable,
      stagingSchema: dbtSchema(env),
      stagingView: stagingViewFor(dataset.name, spec.rawTable),
    })),
  );
}

export async function reconcile(
  config: Config,
  locations: readonly TopicLocation[],
  options: ReconcileOptions = {},
): Promise<ReconcileReport> {
  const started = Date.now();
  const warehouse = options.warehouse ?? warehouseReader(config);
  const before = await readProgress(config, warehouse, locations);
  const readings: Omit<StageData, "kafka">[] = [];
  for (const location of locations) readings.push(await readStages(warehouse, location));
  const kafka = await readKafkaOffsets(
    config,
    locations.map((l) => l.topic),
  );
  const judge = (settled: boolean) =>
    readings.map((reading) => reconcileTopic({ ...reading, kafka: kafka.get(reading.topic) }, settled));
  let topics = judge(true);
  let settled = true;
  if (!topics.every((t) => t.reconciled)) {
    await sleep(Math.max(0, (options.settleMs ?? 2000) - (Date.now() - started)));
    settled = before === (await readProgress(config, warehouse, locations));
    if (!settled) topics = judge(false);
  }
  return { reconciled: topics.every((t) => t.reconciled), settled, topics };
}

/** One topic's warehouse (one snapshot) and then its lake, as plain stage data. */
async function readStages(
  reader: WarehouseReader,
  location: TopicLocation,
): Promise<Omit<StageData, "kafka">> {
  const warehouse = await readWarehouse(reader, location);
  const folder = `${location.dataset}/${location.entity}/`;
  const landed = await readLake(location.rawBucket, `raw/${folder}`, location.topic);
  // Rejected rows of uploaded files (…/files/…) never reached Kafka: not counted here.
  const quarantined = await readLake(
    location.quarantineBucket,
    `quarantine/${folder}`,
    location.topic,
    (key) => key.includes("/files/"),
  );
  return {
    dataset: location.dataset,
    entity: location.entity,
    topic: location.topic,
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
      rows: warehouse.offsets,
      distinctKeys: warehouse.distinctKeys,
    },
    staging:
      location.stagingView !== undefined && warehouse.stagingRows !== undefined
        ? { view: `${location.stagingSchema}.${location.stagingView}`, rows: warehouse.stagingRows }
        : undefined,
  };
}

/**
 * What moves when records move, cheap to read (no object is downloaded): Kafka's end offsets,
 * the lake's object keys, the load manifest. Two equal readings: nothing moved in between.
 */
async function readProgress(
  config: Config,
  warehouse: WarehouseReader,
  locations: readonly TopicLocation[],
): Promise<string> {
  const kafka = await readKafkaOffsets(
    config,
    locations.map((l) => l.topic),
  );
  const marks: unknown[] = [];
  for (const location of locations) {
    const folder = `${location.dataset}/${location.entity}/`;
    marks.push(
      kafka.get(location.topic)?.map((p) => p.high) ?? null,
      await listKeys(location.rawBucket, `raw/${folder}`).catch(() => []),
      await listKeys(location.quarantineBucket, `quarantine/${folder}`).catch(() => []),
      await readLoadManifest(warehouse, location.rawSchema, `raw/${folder}`),
    );
  }
  return JSON.stringify(marks);
}
