/**
 * One vote per voter, live. The first vote of a voter by Kafka position claims the voter in the
 * serving table — one item per voter (`pk` = `voter#<voter id>`, `sk` = `vote`) naming the
 * record that holds the claim — and any later vote of that voter finds the claim taken: a
 * duplicate, counted as such and in no total. This is the rule dbt applies
 * (stg_elections__votes: the first vote by Kafka position counts).
 *
 * Claiming is idempotent per record: the record that holds a claim finds it held by itself.
 * So a batch redelivered after a crash between its claims and its partition's state write
 * (store.ts) counts the same votes again, and the state write — which carries the offset —
 * makes them count once. Claims live outside the partition items, so those never hold voter
 * ids and stay far below DynamoDB's 400 KB item limit; the claims grow with voters, not with
 * deliveries.
 */
import { ConditionalCheckFailedException, TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import { BatchGetCommand, PutCommand, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
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

/** DynamoDB's limits: keys per BatchGetItem, items per TransactWriteItems. */
const BATCH_GET_KEYS = 100;
const TRANSACTION_ITEMS = 100;
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
  for (let i = 0; i < toClaim.length; i += TRANSACTION_ITEMS) {
    counted.push(...(await writeClaims(table, position, toClaim.slice(i, i + TRANSACTION_ITEMS))));
  }
  counted.sort((a, b) => a.offset - b.offset);
  return { counted, duplicates: votes.length - counted.length };
}

async function readClaims(
  table: ServingTable,
  voterIds: readonly string[],
): Promise<Map<string, RecordPosition>> {
  const claims = new Map<string, RecordPosition>();
  for (let i = 0; i < voterIds.length; i += BATCH_GET_KEYS) {
    let keys: Record<string, unknown>[] | undefined = voterIds.slice(i, i + BATCH_GET_KEYS).map(claimKey);
    for (let attempt = 0; keys && keys.length > 0; attempt++) {
      if (attempt === UNPROCESSED_ATTEMPTS) {
        throw new ServingStoreError(
          `${keys.length} voter claims stayed unprocessed (table ${table.tableName})`,
        );
      }
      if (attempt > 0) await backOff(attempt);
      const page = await send(table, "read voter claims", () =>
        documents(table.client).send(
          new BatchGetCommand({ RequestItems: { [table.tableName]: { Keys: keys, ConsistentRead: true } } }),
        ),
      );
      for (const item of page.Responses?.[table.tableName] ?? []) {
        const voterId = String(item[SERVING_TABLE_KEYS.partitionKey]).slice("voter#".length);
        claims.set(voterId, { topic: item.topic, partition: item.partition, offset: item.offset });
      }
      // DynamoDB may leave keys unprocessed under load; they are asked again.
      keys = page.UnprocessedKeys?.[table.tableName]?.Keys;
    }
  }
  return claims;
}

/** Claims the voters of `votes` (at most one transaction's worth); returns the votes that won. */
async function writeClaims(
  table: ServingTable,
  position: { readonly topic: string; readonly partition: number },
  votes: readonly VoteEvent[],
): Promise<VoteEvent[]> {
  const put = (vote: VoteEvent) => ({
    TableName: table.tableName,
    Item: {
      ...claimKey(vote.voterId),
      ...position,
      offset: vote.offset,
      claimedAt: new Date().toISOString(),
    },
    // Free, or already held by this very record (a redelivery after a crash).
    ConditionExpression:
      "attribute_not_exists(#pk) OR (#topic = :topic AND #partition = :partition AND #offset = :offset)",
    ExpressionAttributeNames: {
      "#pk": SERVING_TABLE_KEYS.partitionKey,
      "#topic": "topic",
      "#partition": "partition",
      "#offset": "offset",
    },
    ExpressionAttributeValues: {
      ":topic": position.topic,
      ":partition": position.partition,
      ":offset": vote.offset,
    },
  });
  try {
    await documents(table.client).send(
      new TransactWriteCommand({ TransactItems: votes.map((vote) => ({ Put: put(vote) })) }),
    );
    return [...votes];
  } catch (error) {
    if (!(error instanceof TransactionCanceledException)) {
      throw new ServingStoreError(`could not claim voters (table ${table.tableName})`, { cause: error });
    }
  }
  // Another partition claimed one of these voters meanwhile (their votes sit on two partitions):
  // one by one, so only the taken claims lose.
  const won: VoteEvent[] = [];
  for (const vote of votes) {
    try {
      await documents(table.client).send(new PutCommand(put(vote)));
      won.push(vote);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) continue;
      throw new ServingStoreError(`could not claim voter ${vote.voterId} (table ${table.tableName})`, {
        cause: error,
      });
    }
  }
  return won;
}

function isHeldBy(claim: RecordPosition, record: RecordPosition): boolean {
  return (
    claim.topic === record.topic && claim.partition === record.partition && claim.offset === record.offset
  );
}

const backOff = (attempt: number) => new Promise((r) => setTimeout(r, Math.min(1000, 50 * 2 ** attempt)));
