/**
 * Real-time election aggregates: the pure aggregation (aggregate.ts), the per-partition
 * state in DynamoDB with its exactly-once write (store.ts), and the merged view the
 * dashboard reads (readLiveResults). See docs/ARCHITECTURE.md "Real-time".
 */
import { dynamodb } from "../aws/clients.ts";
import { loadConfig } from "../config/index.ts";
import { mergePartitions } from "./live-results.ts";
import { readPartitionStates } from "./store.ts";
import { type LiveResults, VOTES_TOPIC } from "./types.ts";

export * from "./aggregate.ts";
export * from "./errors.ts";
export * from "./live-results.ts";
export * from "./serving-table.ts";
export * from "./store.ts";
export * from "./types.ts";
export * from "./voter-claims.ts";

/** Reads the serving store (DynamoDB table named by `SERVING_TABLE`, default `pipeline-serving`). */
export async function readLiveResults(options: { tableName?: string } = {}): Promise<LiveResults> {
  const tableName = options.tableName ?? loadConfig().servingTable;
  return mergePartitions(await readPartitionStates({ client: dynamodb(), tableName }, VOTES_TOPIC));
}
