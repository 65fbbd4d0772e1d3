/**
 * Real-time election aggregates: the pure aggregation (aggregate.ts), the per-partition
 * state in DynamoDB with its exactly-once write (store.ts), and the merged view the
 * dashboard reads (readLiveResults). See docs/ARCHITECTURE.md "Real-time".
 */
import { dynamodb } from "../aws/clients.ts";
import { loadConfig } from "../config/index.ts";
import { readRegisteredCandidates } from "./candidate-registry.ts";
import { mergePartitions } from "./live-results.ts";
import { readPartitionStates } from "./store.ts";
import { type LiveResults, VOTES_TOPIC } from "./types.ts";

export * from "./aggregate.ts";
export * from "./candidate-registry.ts";
export * from "./errors.ts";
export * from "./live-results.ts";
export * from "./serving-table.ts";
export * from "./store.ts";
export * from "./types.ts";
export * from "./voter-claims.ts";

/** Reads the serving store (DynamoDB table named by `SERVING_TABLE`, default `pipeline-serving`). */
export async function readLiveResults(options: { tableName?: string } = {}): Promise<LiveResults> {
  const table = { client: dynamodb(), tableName: options.tableName ?? loadConfig().servingTable };
  const [states, registered] = await Promise.all([
    readPartitionStates(table, VOTES_TOPIC),
    readRegisteredCandidates(table),
  ]);
  return mergePartitions(states, registered);
}
