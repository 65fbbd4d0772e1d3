/**
 * Real-time election aggregates: the pure aggregation (aggregate.ts), the per-partition
 * state in DynamoDB with its exactly-once write (store.ts), and the merged view the
 * dashboard reads (readLiveResults). See docs/ARCHITECTURE.md "Real-time".
 */
import { dynamodb } from "../aws/clients.ts";
import { loadConfig } from "../config/index.ts";
import { readRegisteredCandidates } from "./candidate-registry.ts";
import { mergePartitions } from "./live-results.ts";
import type { ServingTable } from "./serving-table.ts";
import { readPartitionStates } from "./store.ts";
import { type LiveResults, type PartitionState, VOTERS_TOPIC, VOTES_TOPIC } from "./types.ts";

export * from "./aggregate.ts";
export * from "./candidate-registry.ts";
export * from "./errors.ts";
export * from "./live-results.ts";
export * from "./serving-table.ts";
export * from "./store.ts";
export * from "./types.ts";
export * from "./voter-claims.ts";
export * from "./voter-registry.ts";

/**
 * The partition states of the votes and voters topics (a voters partition counts the votes its
 * registrations released) and the live results merged from them with the candidate registry.
 */
export async function readServingState(
  table: ServingTable,
): Promise<{ readonly states: PartitionState[]; readonly results: LiveResults }> {
  const [votes, voters, registered] = await Promise.all([
    readPartitionStates(table, VOTES_TOPIC),
    readPartitionStates(table, VOTERS_TOPIC),
    readRegisteredCandidates(table),
  ]);
  const states = [...votes, ...voters];
  return { states, results: mergePartitions(states, registered) };
}

/** Reads the serving store (DynamoDB table named by `SERVING_TABLE`, default `pipeline-serving`). */
export async function readLiveResults(options: { tableName?: string } = {}): Promise<LiveResults> {
  const table = { client: dynamodb(), tableName: options.tableName ?? loadConfig().servingTable };
  return (await readServingState(table)).results;
}
