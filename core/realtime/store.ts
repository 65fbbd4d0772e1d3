/**
 * The serving store: one DynamoDB item per topic-partition (partition key `pk` = topic, sort
 * key `sk` = `partition#<n>`) holding that partition's whole state — totals, windows,
 * watermark AND last applied offset. A batch is applied by read → apply → conditional put
 * (`version` unchanged since the read), so the offset and the counts it accounts for change
 * in one atomic write, and two writers of one partition can never both win.
 */
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DeleteTableCommand,
  waitUntilTableExists,
} from "@aws-sdk/client-dynamodb";
import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { z } from "zod";
import { type ApplyResult, applyBatch, type BatchToApply, emptyPartitionState } from "./aggregate.ts";
import { ConcurrentUpdateError, CorruptStateError, ServingStoreError } from "./errors.ts";
import { documents, queryItems, SERVING_TABLE_KEYS, type ServingTable, send } from "./serving-table.ts";
import type { PartitionState, WindowSettings } from "./types.ts";
import { claimVoters, type LogPartition } from "./voter-claims.ts";
import { registerVoters, type VoterRegistration } from "./voter-registry.ts";

const counts = z.record(z.string(), z.number().int().nonnegative());
const StoredState = z.object({
  topic: z.string(),
  partition: z.number().int().nonnegative(),
  lastOffset: z.number().int(),
  version: z.number().int().positive(),
  totalVotes: z.number().int().nonnegative(),
  lateEvents: z.number().int().nonnegative(),
  // Absent from items written before they existed.
  futureEvents: z.number().int().nonnegative().default(0),
  duplicateVotes: z.number().int().nonnegative().default(0),
  candidates: counts,
  candidateLocations: z.record(z.string(), counts),
  unlistedCandidateVotes: z.number().int().nonnegative().default(0),
  unregisteredVoterVotes: z.number().int().nonnegative().default(0),
  releasedVotes: z.number().int().nonnegative().default(0),
  windowSeconds: z.number().int().positive(),
  windows: z.record(z.string(), z.object({ votes: z.number().int().nonnegative(), byCandidate: counts })),
  watermark: z.number().nullable(),
  updatedAt: z.string().nullable(),
});

const sortKey = (partition: number) => `partition#${partition}`;

/** Every partition state of a topic (strongly consistent). */
export async function readPartitionStates(table: ServingTable, topic: string): Promise<PartitionState[]> {
  return (await queryItems(table, topic, `read the states of ${topic}`)).map(parseState);
}

/** One partition's state, or an empty one (version 0) when nothing was applied yet. */
export async function readPartitionState(
  table: ServingTable,
  topic: string,
  partition: number,
  windowSeconds: number,
): Promise<PartitionState> {
  const { Item } = await send(table, `read ${topic}-${partition}`, () =>
    documents(table.client).send(
      new GetCommand({
        TableName: table.tableName,
        Key: { [SERVING_TABLE_KEYS.partitionKey]: topic, [SERVING_TABLE_KEYS.sortKey]: sortKey(partition) },
        ConsistentRead: true,
      }),
    ),
  );
  return Item ? parseState(Item) : emptyPartitionState(topic, partition, windowSeconds);
}

/**
 * Writes `state` if the stored version is still `expectedVersion` (0: no item yet).
 * Returns false when another writer got there first.
 */
export async function writePartitionState(
  table: ServingTable,
  state: PartitionState,
  expectedVersion: number,
): Promise<boolean> {
  try {
    await documents(table.client).send(
      new PutCommand({
        TableName: table.tableName,
        Item: {
          [SERVING_TABLE_KEYS.partitionKey]: state.topic,
          [SERVING_TABLE_KEYS.sortKey]: sortKey(state.partition),
          ...state,
        },
        ConditionExpression: expectedVersion === 0 ? "attribute_not_exists(#pk)" : "#version = :expected",
        ExpressionAttributeNames:
          expectedVersion === 0 ? { "#pk": SERVING_TABLE_KEYS.partitionKey } : { "#version": "version" },
        ExpressionAttributeValues: expectedVersion === 0 ? undefined : { ":expected": expectedVersion },
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw new ServingStoreError(`could not write ${state.topic}-${state.partition} to ${table.tableName}`, {
      cause: error,
    });
  }
}

/**
 * Applies one votes partition's batch exactly once: records at or below the stored offset are
 * skipped; of the rest, each voter's first vote counts if the voter is registered, is held
 * apart if not, and the others are duplicates (voter-claims.ts); all is written with the new
 * offset in one conditional put. Lost races (another writer on the same partition) re-read and
 * re-apply, up to `attempts` times.
 */
export async function applyToStore(
  table: ServingTable,
  target: LogPartition,
  batch: BatchToApply,
  settings: WindowSettings,
  now: () => Date = () => new Date(),
  attempts = 5,
): Promise<ApplyResult> {
  return applyExactlyOnce(table, target, batch.lastOffset, settings, now, attempts, async (current) => {
    const fresh = batch.votes.filter((vote) => vote.offset > current.lastOffset);
    const outcome = await claimVoters(table, target, fresh);
    return { ...batch, ...outcome, votes: outcome.counted };
  });
}

/**
 * Applies one voters partition's batch exactly once: registers its voters (voter-registry.ts)
 * and counts the earlier votes they release, in that partition's state with the new offset.
 */
export async function applyRegistrationsToStore(
  table: ServingTable,
  target: LogPartition,
  batch: { readonly registrations: readonly VoterRegistration[]; readonly lastOffset: number },
  settings: WindowSettings,
  now: () => Date = () => new Date(),
  attempts = 5,
): Promise<ApplyResult> {
  return applyExactlyOnce(table, target, batch.lastOffset, settings, now, attempts, async (current) => {
    const fresh = batch.registrations.filter((r) => r.offset > current.lastOffset);
    const released = await registerVoters(table, target, fresh);
    return { votes: [], lastOffset: batch.lastOffset, released };
  });
}

/** read → prepare the batch (claims, registrations) → apply → conditional put, retried on a lost race. */
async function applyExactlyOnce(
  table: ServingTable,
  target: LogPartition,
  lastOffset: number,
  settings: WindowSettings,
  now: () => Date,
  attempts: number,
  prepare: (current: PartitionState) => Promise<BatchToApply>,
): Promise<ApplyResult> {
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const current = await readPartitionState(table, target.topic, target.partition, settings.windowSeconds);
    if (lastOffset <= current.lastOffset)
      return applyBatch(current, { votes: [], lastOffset }, settings, now());
    const result = applyBatch(current, await prepare(current), settings, now());
    if (!result.changed) return result;
    if (await writePartitionState(table, result.state, current.version)) return result;
  }
  throw new ConcurrentUpdateError(
    `${target.topic}-${target.partition} changed under us ${attempts} times in a row`,
  );
}

/** Creates the table (on-demand) if missing — for tests; deployments get it from the CDK construct. */
export async function createServingTable(table: ServingTable): Promise<void> {
  try {
    await table.client.send(
      new CreateTableCommand({
        TableName: table.tableName,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [
          { AttributeName: SERVING_TABLE_KEYS.partitionKey, AttributeType: "S" },
          { AttributeName: SERVING_TABLE_KEYS.sortKey, AttributeType: "S" },
        ],
        KeySchema: [
          { AttributeName: SERVING_TABLE_KEYS.partitionKey, KeyType: "HASH" },
          { AttributeName: SERVING_TABLE_KEYS.sortKey, KeyType: "RANGE" },
        ],
      }),
    );
  } catch (error) {
    if ((error as Error).name !== "ResourceInUseException") {
      throw new ServingStoreError(`could not create table ${table.tableName}`, { cause: error });
    }
  }
  await waitUntilTableExists({ client: table.client, maxWaitTime: 60 }, { TableName: table.tableName });
}

export async function deleteServingTable(table: ServingTable): Promise<void> {
  await table.client.send(new DeleteTableCommand({ TableName: table.tableName })).catch(() => undefined);
}

function parseState(item: Record<string, unknown>): PartitionState {
  const parsed = StoredState.safeParse(item);
  if (!parsed.success) {
    throw new CorruptStateError(
      `unexpected item ${String(item.pk)}/${String(item.sk)}: ${parsed.error.message}`,
      {
        cause: parsed.error,
      },
    );
  }
  return parsed.data;
}
