/**
 * The real-time aggregate's state after the ingest: how long the aggregate took to account for
 * every vote produced (counted + duplicates + rejected), how many voters it holds a claim for,
 * and how big the largest partition item is against DynamoDB's 400 KB item limit — the state
 * must grow with voters (one small claim item each), never inside a partition item.
 */
import { dynamodb } from "../core/aws/clients.ts";
import { loadConfig } from "../core/config/index.ts";
import { readServingState } from "../core/realtime/index.ts";

/** DynamoDB's item size limit. */
export const DYNAMODB_ITEM_LIMIT_BYTES = 400 * 1024;

export interface ServingStateFigures {
  /** Votes the aggregate accounted for (counted + duplicates + rejected) of those expected. */
  readonly accountedVotes: number;
  readonly expectedVotes: number;
  /** Seconds from the start of the wait until every expected vote was accounted for (or the timeout). */
  readonly catchUpSeconds: number;
  /** Voters with a claim: each counted or rejected first vote claims its voter. */
  readonly voterClaims: number;
  readonly partitionItems: number;
  /** The largest partition item, as JSON bytes (DynamoDB's size is within a few % of it). */
  readonly largestPartitionItemBytes: number;
  readonly itemLimitBytes: number;
}

export async function measureServingState(
  expectedVotes: number,
  timeoutMs: number,
): Promise<ServingStateFigures> {
  const started = performance.now();
  const table = { client: dynamodb(), tableName: loadConfig().servingTable };
  const accounted = async () => {
    const { states, results: live } = await readServingState(table);
    return { states, live, total: live.totalVotes + live.duplicateVotes + live.rejectedVotes };
  };
  let current = await accounted();
  while (current.total < expectedVotes && performance.now() - started < timeoutMs) {
    await new Promise((r) => setTimeout(r, 1_000));
    current = await accounted();
  }
  const catchUpSeconds = Math.round((performance.now() - started) / 100) / 10;
  const { states } = current;
  return {
    accountedVotes: current.total,
    expectedVotes,
    catchUpSeconds,
    voterClaims: current.live.totalVotes + current.live.rejectedVotes,
    partitionItems: states.length,
    largestPartitionItemBytes: Math.max(0, ...states.map((s) => Buffer.byteLength(JSON.stringify(s)))),
    itemLimitBytes: DYNAMODB_ITEM_LIMIT_BYTES,
  };
}
