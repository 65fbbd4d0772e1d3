/**
 * One vote per voter, from registered voters only, live.
 *
 * The first vote of a voter by Kafka position claims the voter in the serving table — one item
 * per voter (`pk` = `voter#<voter id>`, `sk` = `vote`) naming the record that holds the claim —
 * and any later vote of that voter finds the claim taken: a duplicate, counted as such and in no
 * total. This is the rule dbt applies (stg_elections__votes: the first vote by Kafka position
 * counts).
 *
 * A voter is registered by its record on `elections.voters` (`sk` = `registration`, written by
 * voter-registry.ts). A claim made before the voter is registered is held `registered: false`:
 * the vote is in no total (`unregisteredVoterVotes`, as in gold's election_rejected_votes) until
 * the registration arrives, which RELEASES it into the totals. Votes and registrations are
 * applied by different partitions at the same time, so each side writes its own item first and
 * then reads the other's: the claim side re-reads the registration after writing the claim, the
 * registration side reads the claim after writing the registration. One of them sees the other
 * (or both do), and the release is a conditional update, so exactly one counts the vote.
 *
 * Claiming and releasing are idempotent per record: the record that holds a claim (or released
 * it) finds it held (released) by itself. So a batch redelivered after a crash between its claims
 * and its partition's state write (store.ts) counts the same votes again, and the state write —
 * which carries the offset — makes them count once. Claims live outside the partition items, so
 * those never hold voter ids and stay far below DynamoDB's 400 KB item limit; the claims grow
 * with voters, not with deliveries.
 */
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { ReleasedVote } from "./aggregate.ts";
import { ServingStoreError } from "./errors.ts";
import {
  batchGetItems,
  batchPutItems,
  documents,
  type ItemKey,
  SERVING_TABLE_KEYS,
  type ServingTable,
} from "./serving-table.ts";
import type { VoteEvent } from "./types.ts";

/** A topic-partition of the log. */
export interface LogPartition {
  readonly topic: string;
  readonly partition: number;
}

/** Where a record sits in the log. */
interface RecordPosition extends LogPartition {
  readonly offset: number;
}

export interface ClaimOutcome {
  /** The votes that count now: each registered voter's first vote, in offset order. */
  readonly counted: readonly VoteEvent[];
  /** Votes of voters whose vote was already claimed (in this batch or before). */
  readonly duplicates: number;
  /** First votes of voters not registered when they were claimed: in no total until released. */
  readonly unregisteredVoters: number;
  /** Of those, the ones this batch released itself (their voter registered meanwhile). */
  readonly released: readonly ReleasedVote[];
}

/** A voter's claim as stored. Claims from before registration checks have no `registered`: they counted. */
export interface VoterClaim extends RecordPosition {
  readonly candidateId?: string;
  readonly state?: string;
  readonly registered?: boolean;
  /** The record (`topic/partition/offset`) that released the claim into the totals, if any. */
  readonly releasedBy?: string;
}

const VOTER_PREFIX = "voter#";
const CLAIM_SORT_KEY = "vote";
export const REGISTRATION_SORT_KEY = "registration";

export const voterKey = (voterId: string, sortKey: string): ItemKey => ({
  [SERVING_TABLE_KEYS.partitionKey]: `${VOTER_PREFIX}${voterId}`,
  [SERVING_TABLE_KEYS.sortKey]: sortKey,
});

const voterIdOf = (item: Record<string, unknown>) =>
  String(item[SERVING_TABLE_KEYS.partitionKey]).slice(VOTER_PREFIX.length);

/** Each voter's first record by offset (a voter's records share a key, hence a partition). */
export function firstPerVoter<T extends { readonly offset: number; readonly voterId: string }>(
  records: readonly T[],
): Map<string, T> {
  const first = new Map<string, T>();
  for (const record of [...records].sort((a, b) => a.offset - b.offset)) {
    if (!first.has(record.voterId)) first.set(record.voterId, record);
  }
  return first;
}

export const positionKey = (p: RecordPosition) => `${p.topic}/${p.partition}/${p.offset}`;

/**
 * Sorts `votes` (all above the partition's applied offset) into counted votes, votes of
 * unregistered voters and duplicates, claiming the voters of the first two.
 */
export async function claimVoters(
  table: ServingTable,
  position: LogPartition,
  votes: readonly VoteEvent[],
): Promise<ClaimOutcome> {
  const firstVotes = firstPerVoter(votes);
  const voterIds = [...firstVotes.keys()];
  const [claims, registered] = await Promise.all([
    readClaims(table, voterIds),
    readRegistrations(table, voterIds),
  ]);
  const counted: VoteEvent[] = [];
  const toClaim: { vote: VoteEvent; registered: boolean }[] = [];
  /** Votes held unregistered by this partition, not released yet. */
  const pending: VoteEvent[] = [];
  const released: ReleasedVote[] = [];
  let unregisteredVoters = 0;
  for (const vote of firstVotes.values()) {
    const me = positionKey({ ...position, offset: vote.offset });
    const claim = claims.get(vote.voterId);
    if (!claim) {
      const isRegistered = registered.has(vote.voterId);
      toClaim.push({ vote, registered: isRegistered });
      if (isRegistered) counted.push(vote);
      else pending.push(vote);
    } else if (positionKey(claim) === me) {
      if (claim.registered !== false) counted.push(vote);
      else if (claim.releasedBy === undefined) pending.push(vote);
      else {
        unregisteredVoters += 1;
        if (claim.releasedBy === me) released.push(vote);
      }
    }
  }
  await writeClaims(table, position, toClaim);
  // Registrations written before our claims are visible now; later ones will see our claims.
  const registeredSince = await readRegistrations(
    table,
    pending.map((v) => v.voterId),
  );
  for (const vote of pending) {
    unregisteredVoters += 1;
    const me = positionKey({ ...position, offset: vote.offset });
    if (registeredSince.has(vote.voterId) && (await releaseClaim(table, vote.voterId, me)))
      released.push(vote);
  }
  counted.sort((a, b) => a.offset - b.offset);
  return {
    counted,
    duplicates: votes.length - counted.length - unregisteredVoters,
    unregisteredVoters,
    released,
  };
}

export async function readClaims(
  table: ServingTable,
  voterIds: readonly string[],
): Promise<Map<string, VoterClaim>> {
  const items = await batchGetItems(
    table,
    voterIds.map((id) => voterKey(id, CLAIM_SORT_KEY)),
    "read voter claims",
  );
  return new Map(items.map((item) => [voterIdOf(item), item as unknown as VoterClaim]));
}

/** The voters among `voterIds` whose registration is in the table. */
export async function readRegistrations(
  table: ServingTable,
  voterIds: readonly string[],
): Promise<Set<string>> {
  const items = await batchGetItems(
    table,
    voterIds.map((id) => voterKey(id, REGISTRATION_SORT_KEY)),
    "read voter registrations",
  );
  return new Set(items.map(voterIdOf));
}

/**
 * Writes the claims of `votes`, which the read found free. Unconditional (BatchWriteItem):
 * conditions would need a transaction or a request per vote, and the emulator's transactions
 * copy every table, so their cost grew with the claims. It is exact because one partition
 * claims a voter: a voter's votes share a key, hence a partition, and a partition's batches are
 * applied one after another (a concurrent redelivery of the same batch writes the same claims).
 * docs/ARCHITECTURE.md says what happens when a producer spreads one voter's votes over two
 * partitions.
 */
async function writeClaims(
  table: ServingTable,
  position: LogPartition,
  claims: readonly { vote: VoteEvent; registered: boolean }[],
): Promise<void> {
  const claimedAt = new Date().toISOString();
  await batchPutItems(
    table,
    claims.map(({ vote, registered }) => ({
      ...voterKey(vote.voterId, CLAIM_SORT_KEY),
      ...position,
      offset: vote.offset,
      candidateId: vote.candidateId,
      state: vote.state,
      registered,
      claimedAt,
    })),
    "write voter claims",
  );
}

/**
 * Releases an unregistered voter's claim into the totals on behalf of record `by`: true when
 * `by` released it (now, or before — a redelivery), false when another record already did.
 */
export async function releaseClaim(table: ServingTable, voterId: string, by: string): Promise<boolean> {
  try {
    await documents(table.client).send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: voterKey(voterId, CLAIM_SORT_KEY),
        UpdateExpression: "SET releasedBy = :by",
        ConditionExpression:
          "attribute_exists(#pk) AND registered = :false AND (attribute_not_exists(releasedBy) OR releasedBy = :by)",
        ExpressionAttributeNames: { "#pk": SERVING_TABLE_KEYS.partitionKey },
        ExpressionAttributeValues: { ":by": by, ":false": false },
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw new ServingStoreError(
      `could not release the claim of voter ${voterId} (table ${table.tableName})`,
      {
        cause: error,
      },
    );
  }
}
