/**
 * One vote per voter, live. The first vote of a voter by Kafka position claims the voter in the
 * serving table — one item per voter (`pk` = `voter#<voter id>`, `sk` = `vote`) naming the
 * record that holds the claim — and any later vote of that voter finds the claim taken: a
 * duplicate, counted as such and in no total. This is the rule dbt applies
 * (stg_elections__votes: the first vote by Kafka position counts).
 *
 * Claiming is idempotent per record: the record that holds a claim finds it held by itself.
 * Claims are read in batches (BatchGetItem, strongly consistent) and written in batches.
 * So a batch redelivered after a crash between its claims and its partition's state write
 * (store.ts) counts the same votes again, and the state write — which carries the offset —
 * makes them count once. Claims live outside the partition items, so those never hold voter
 * ids and stay far below DynamoDB's 400 KB item limit; the claims grow with voters, not with
 * deliveries.
 */
import { BatchGetCommand, BatchWriteCommand } from "@aws-sdk/lib-dynamodb";
import { ServingStoreError } from "./errors.ts";
import { documents, SERVING_TABLE_KEYS, type ServingTable, send } from "./serving-table.ts";
import type { VoteEvent } from "./types.ts";

/** Where a claiming vote sits in the log. */
interface RecordPosition {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

export interface ClaimOutcome {
  /** The votes that count: each voter's first vote, in offset order. */
  readonly counted: readonly VoteEvent[];
  /** Votes of voters whose vote was already counted (in this batch or before). */
  readonly duplicates: number;
}

/** DynamoDB's limits: keys per BatchGetItem, items per BatchWriteItem. */
const BATCH_GET_KEYS = 100;
const BATCH_WRITE_ITEMS = 25;
/** Batch requests of one batch's claims in flight at once. */
const CONCURRENT_REQUESTS = 8;
const CLAIM_SORT_KEY = "vote";
/** How often keys DynamoDB left unprocessed are asked again before the batch fails (and is redelivered). */
const UNPROCESSED_ATTEMPTS = 8;

const claimKey = (voterId: string) => ({
  [SERVING_TABLE_KEYS.partitionKey]: `voter#${voterId}`,
  [SERVING_TABLE_KEYS.sortKey]: CLAIM_SORT_KEY,
});

/**
 * Sorts `votes` (all above the partition's applied offset) into counted votes and duplicates,
 * claiming the voters of the counted ones.
 */
export async function claimVoters(
  table: ServingTable,
  position: { readonly topic: string; readonly partition: number },
  votes: readonly VoteEvent[],
): Promise<ClaimOutcome> {
  const firstVotes = new Map<string, VoteEvent>();
  for (const vote of [...votes].sort((a, b) => a.offset - b.offset)) {
    if (!firstVotes.has(vote.voterId)) firstVotes.set(vote.voterId, vote);
  }
  const claims = await readClaims(table, [...firstVotes.keys()]);
  const counted: VoteEvent[] = [];
  const toClaim: VoteEvent[] = [];
  for (const vote of firstVotes.values()) {
    const claim = claims.get(vote.voterId);
    if (!claim) toClaim.push(vote);
    else if (isHeldBy(claim, { ...position, offset: vote.offset })) counted.push(vote);
  }
  await writeClaims(table, position, toClaim);
  counted.push(...toClaim);
  counted.sort((a, b) => a.offset - b.offset);
  return { counted, duplicates: votes.length - counted.length };
}

async function readClaims(
  table: ServingTable,
  voterIds: readonly string[],
): Promise<Map<string, RecordPosition>> {
  const claims = new Map<string, RecordPosition>();
  const chunks: string[][] = [];
  for (let i = 0; i < voterIds.length; i += BATCH_GET_KEYS)
    chunks.push(voterIds.slice(i, i + BATCH_GET_KEYS));
  await inParallel(chunks, async (chunk) => {
    await untilProcessed(
      table,
      "read voter claims",
      chunk.map((id): Record<string, unknown> => claimKey(id)),
      async (keys) => {
        const page = await documents(table.client).send(
          new BatchGetCommand({ RequestItems: { [table.tableName]: { Keys: keys, ConsistentRead: true } } }),
        );
        for (const item of page.Responses?.[table.tableName] ?? []) {
          const voterId = String(item[SERVING_TABLE_KEYS.partitionKey]).slice("voter#".length);
          claims.set(voterId, { topic: item.topic, partition: item.partition, offset: item.offset });
        }
        return page.UnprocessedKeys?.[table.tableName]?.Keys;
      },
    );
  });
  return claims;
}

/**
 * Writes the claims of `votes`, which the read found free. Unconditional (BatchWriteItem, 25 per
 * request): conditions would need a transaction or a request per vote, and the emulator's
 * transactions copy every table, so their cost grew with the claims. It is exact because one
 * partition claims a voter: a voter's votes share a key, hence a partition, and a partition's
 * batches are applied one after another (a concurrent redelivery of the same batch writes the
 * same claims). docs/ARCHITECTURE.md says what happens when a producer spreads one voter's votes
 * over two partitions.
 */
async function writeClaims(
  table: ServingTable,
  position: { readonly topic: string; readonly partition: number },
  votes: readonly VoteEvent[],
): Promise<void> {
  const claimedAt = new Date().toISOString();
  const chunks: VoteEvent[][] = [];
  for (let i = 0; i < votes.length; i += BATCH_WRITE_ITEMS)
    chunks.push(votes.slice(i, i + BATCH_WRITE_ITEMS));
  await inParallel(chunks, async (chunk) => {
    const puts = chunk.map((vote) => ({
      PutRequest: { Item: { ...claimKey(vote.voterId), ...position, offset: vote.offset, claimedAt } },
    }));
    await untilProcessed(table, "write voter claims", puts, async (requests) => {
      const answer = await documents(table.client).send(
        new BatchWriteCommand({ RequestItems: { [table.tableName]: requests } }),
      );
      return answer.UnprocessedItems?.[table.tableName] as typeof requests | undefined;
    });
  });
}

/** Runs `work` on every item, at most CONCURRENT_REQUESTS at a time. */
async function inParallel<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENT_REQUESTS, items.length) }, worker));
}

/** Runs a batch call until DynamoDB leaves nothing unprocessed (it may, under load), backing off. */
async function untilProcessed<T>(
  table: ServingTable,
  what: string,
  first: T[],
  call: (pending: T[]) => Promise<T[] | undefined>,
): Promise<void> {
  let pending: T[] | undefined = first;
  for (let attempt = 0; pending && pending.length > 0; attempt++) {
    if (attempt === UNPROCESSED_ATTEMPTS) {
      throw new ServingStoreError(
        `could not ${what}: ${pending.length} stayed unprocessed (table ${table.tableName})`,
      );
    }
    if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 50 * 2 ** attempt)));
    const current: T[] = pending;
    pending = await send(table, what, () => call(current));
  }
}

function isHeldBy(claim: RecordPosition, record: RecordPosition): boolean {
  return (
    claim.topic === record.topic && claim.partition === record.partition && claim.offset === record.offset
  );
}
