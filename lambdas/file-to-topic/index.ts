/**
 * file-to-topic (S3 ObjectCreated on `incoming/`, or its own continuation): streams each
 * uploaded CSV/NDJSON file to its dataset's topic. See README.md for the resumable design.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { Context } from "aws-lambda";
import { s3 } from "../../core/aws/clients.ts";
import { datasets } from "../../core/datasets/index.ts";
import { connectProducer, createKafka, type Producer } from "../../core/kafka/client.ts";
import { objectsOfEvent } from "../../core/lake/s3-event.ts";
import { continuationMode, invokeSelf, isContinuation } from "./continuation.ts";
import { InvalidEventError, UnroutableFileError } from "./errors.ts";
import { type FileJob, type ProcessResult, processFile } from "./process-file.ts";
import { fileToTopicSettings } from "./settings.ts";

const logger = new Logger({ serviceName: "file-to-topic" });
const metrics = new Metrics({ namespace: "Pipeline", serviceName: "file-to-topic" });

// One producer per container, reused across invocations.
let producer: Promise<Producer> | undefined;

export async function handler(event: unknown, context?: Partial<Context>): Promise<ProcessResult[]> {
  const settings = fileToTopicSettings();
  const jobs = parseEvent(event);
  producer ??= connectProducer(createKafka(settings.config.kafka, "-file-to-topic"));
  const deps = {
    s3: s3(),
    producer: await producer,
    datasets,
    quarantineBucket: settings.quarantineBucket,
    checkpointBucket: settings.rawBucket,
  };
  const mode = continuationMode();
  // Inline passes all run in this invocation, so only the row budget splits them.
  const timeIsUp = () =>
    mode === "invoke" &&
    (context?.getRemainingTimeInMillis?.() ?? Number.POSITIVE_INFINITY) < settings.safetyMs;
  const results: ProcessResult[] = [];
  for (const job of jobs) {
    let result: ProcessResult;
    try {
      result = await processFile(job, deps, { ...settings, timeIsUp });
    } catch (error) {
      // Retrying can't route a file: say so loudly (log + metric) and go on with the others.
      if (!(error instanceof UnroutableFileError)) throw error;
      logger.error("file not processed", { key: job.key, reason: error.message });
      metrics.addMetric("FilesUnroutable", MetricUnit.Count, 1);
      continue;
    }
    // Offline the continuation runs here; in AWS a fresh invocation picks it up.
    while (result.status === "partial" && mode === "inline") {
      logger.info("file continues", { key: job.key, nextLine: result.checkpoint.nextLine });
      result = await processFile(job, deps, { ...settings, timeIsUp });
    }
    if (result.status === "partial") {
      await invokeSelf(context?.functionName ?? process.env.AWS_LAMBDA_FUNCTION_NAME ?? "", job);
    }
    record(job, result);
    results.push(result);
  }
  metrics.publishStoredMetrics();
  return results;
}

function parseEvent(event: unknown): FileJob[] {
  if (isContinuation(event)) return [event.continuation];
  const records = (event as { Records?: unknown } | null)?.Records;
  if (!Array.isArray(records))
    throw new InvalidEventError("expected an S3 event or { continuation: { bucket, key } }");
  return objectsOfEvent({ Records: records }).map(({ bucket, key }) => ({ bucket, key }));
}

function record(job: FileJob, result: ProcessResult): void {
  logger.info("file processed", {
    key: job.key,
    status: result.status,
    produced: result.produced,
    quarantined: result.quarantined,
    totalProduced: result.checkpoint.produced,
    totalQuarantined: result.checkpoint.quarantined,
    nextLine: result.checkpoint.nextLine,
    quarantineKeys: result.quarantineKeys,
  });
  metrics.addMetric("FileRowsProduced", MetricUnit.Count, result.produced);
  metrics.addMetric("FileRowsQuarantined", MetricUnit.Count, result.quarantined);
}

/** Disconnects the container's producer (the local runtime's shutdown, tests). */
export async function closeProducer(): Promise<void> {
  const current = producer;
  producer = undefined;
  await (await current)?.disconnect();
}
