/**
 * aggregate (MSK triggers on elections.votes, elections.candidates and elections.voters):
 * registers the candidates and voters, applies each partition's votes to the serving store
 * exactly once, one vote per registered voter (core/realtime), then publishes the current totals to the compacted aggregated topics.
 * Throws only on infrastructure failures, so the event source mapping redelivers the batch; a
 * redelivered batch changes no total and publishes again.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { dynamodb } from "../../core/aws/clients.ts";
import { loadConfig } from "../../core/config/index.ts";
import { connectProducer, createKafka, type Producer, sendKeyed } from "../../core/kafka/client.ts";
import { parseMskEvent } from "../../core/msk-event/index.ts";
import { readServingState, type ServingTable } from "../../core/realtime/index.ts";
import { aggregateEvent, type PartitionOutcome, registerEventCandidates } from "./aggregate-event.ts";
import { InvalidEventError, PublishError } from "./errors.ts";
import { totalsMessages } from "./publish.ts";
import { aggregateSettings } from "./settings.ts";

const logger = new Logger({ serviceName: "aggregate" });
const metrics = new Metrics({ namespace: "Pipeline", serviceName: "aggregate" });

let producer: Promise<Producer> | undefined;

export interface AggregateResult {
  readonly applied: number;
  readonly late: number;
  readonly future: number;
  readonly duplicates: number;
  /** Candidate records registered from elections.candidates. */
  readonly candidates: number;
  readonly partitions: readonly PartitionOutcome[];
}

export async function handler(event: unknown): Promise<AggregateResult> {
  const mskEvent = parseMskEvent(event, InvalidEventError);
  const settings = aggregateSettings();
  const table: ServingTable = { client: dynamodb(), tableName: settings.tableName };
  const candidates = await registerEventCandidates(mskEvent, table, {
    maxRecordBytes: settings.maxRecordBytes,
  });
  const partitions = await aggregateEvent(mskEvent, table, settings.window, {
    decode: { maxRecordBytes: settings.maxRecordBytes },
  });
  await publishTotals(table);
  const applied = partitions.reduce((total, p) => total + p.applied, 0);
  const late = partitions.reduce((total, p) => total + p.late, 0);
  const future = partitions.reduce((total, p) => total + p.future, 0);
  const duplicates = partitions.reduce((total, p) => total + p.duplicates, 0);
  const unregisteredVoters = partitions.reduce((total, p) => total + p.unregisteredVoters, 0);
  logger.info("votes aggregated", {
    applied,
    late,
    future,
    duplicates,
    unregisteredVoters,
    candidates,
    partitions,
  });
  metrics.addMetric("VotesAggregated", MetricUnit.Count, applied);
  metrics.addMetric("LateVotes", MetricUnit.Count, late);
  metrics.addMetric("FutureDatedVotes", MetricUnit.Count, future);
  metrics.addMetric("DuplicateVotes", MetricUnit.Count, duplicates);
  metrics.addMetric("UnregisteredVoterVotes", MetricUnit.Count, unregisteredVoters);
  metrics.publishStoredMetrics();
  return { applied, late, future, duplicates, candidates, partitions };
}

/** Reads the totals after this invocation's writes and publishes every key (see publish.ts). */
async function publishTotals(table: ServingTable): Promise<void> {
  const { states, results } = await readServingState(table);
  try {
    producer ??= connectProducer(createKafka(loadConfig().kafka, "-aggregate"));
    await sendKeyed(await producer, totalsMessages(results, states));
  } catch (cause) {
    // A broken connection is not reused by the retry.
    producer = undefined;
    throw new PublishError("could not publish the totals to the aggregated topics", { cause });
  }
}

/** Disconnects the container's producer (the local runtime's shutdown, tests). */
export async function closeProducer(): Promise<void> {
  const current = producer;
  producer = undefined;
  await (await current?.catch(() => undefined))?.disconnect();
}
