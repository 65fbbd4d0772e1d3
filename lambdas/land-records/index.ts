/**
 * land-records (MSK trigger): Kafka batches → gzip NDJSON objects under raw/ and quarantine/.
 * Throws only on infrastructure failures so the event source mapping retries the batch;
 * a bad record is quarantined and never fails the batch.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { s3 } from "../../core/aws/clients.ts";
import { parseMskEvent } from "../../core/msk-event/index.ts";
import { InvalidEventError } from "./errors.ts";
import { landEvent, type PartitionResult } from "./land.ts";
import { landingSettings } from "./settings.ts";

const logger = new Logger({ serviceName: "land-records" });
const metrics = new Metrics({ namespace: "Pipeline", serviceName: "land-records" });

export interface LandRecordsResult {
  readonly landed: number;
  readonly quarantined: number;
  readonly partitions: readonly PartitionResult[];
}

export async function handler(event: unknown): Promise<LandRecordsResult> {
  const mskEvent = parseMskEvent(event, InvalidEventError);
  const settings = landingSettings();
  const partitions = await landEvent(mskEvent, { s3: s3(), ...settings }, settings);
  publishCounts(partitions);
  const landed = sum(partitions, "landed");
  const quarantined = sum(partitions, "quarantined");
  logger.info("batch landed", {
    landed,
    quarantined,
    objects: partitions.flatMap((p) => [p.rawKey, p.quarantineKey].filter(Boolean)),
  });
  return { landed, quarantined, partitions };
}

/** RecordsLanded / RecordsQuarantined per dataset. */
function publishCounts(partitions: readonly PartitionResult[]): void {
  const byDataset = new Map<string, { landed: number; quarantined: number }>();
  for (const p of partitions) {
    const counts = byDataset.get(p.dataset) ?? { landed: 0, quarantined: 0 };
    counts.landed += p.landed;
    counts.quarantined += p.quarantined;
    byDataset.set(p.dataset, counts);
  }
  for (const [dataset, counts] of byDataset) {
    // A single metric is flushed by its addMetric, so each count gets its own.
    for (const [name, value] of [
      ["RecordsLanded", counts.landed],
      ["RecordsQuarantined", counts.quarantined],
    ] as const) {
      const metric = metrics.singleMetric();
      metric.addDimension("dataset", dataset);
      metric.addMetric(name, MetricUnit.Count, value);
    }
  }
}

function sum(partitions: readonly PartitionResult[], field: "landed" | "quarantined"): number {
  return partitions.reduce((total, p) => total + p[field], 0);
}
