/**
 * The serving table itself: its key schema, its name with the client that reaches it, and the
 * helpers every reader and writer of it shares (store.ts, voter-claims.ts, voter-registry.ts,
 * candidate-registry.ts).
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  BatchGetCommand,
  BatchWriteCommand,
  DynamoDBDocumentClient,
  QueryCommand,
} from "@aws-sdk/lib-dynamodb";
import { ServingStoreError } from "./errors.ts";

/** The table's key schema; the CDK construct and the tests create the table with it. */
export const SERVING_TABLE_KEYS = { partitionKey: "pk", sortKey: "sk" } as const;

export interface ServingTable {
  readonly client: DynamoDBClient;
  readonly tableName: string;
}

const documentClients = new WeakMap<DynamoDBClient, DynamoDBDocumentClient>();

/** The document client over `client` (one per client; shared with voter-claims.ts). */
export function documents(client: DynamoDBClient): DynamoDBDocumentClient {
  let doc = documentClients.get(client);
  if (!doc) {
    doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
    documentClients.set(client, doc);
  }
  return doc;
}

/** Runs one call on the table; its failure becomes a ServingStoreError saying what failed. */
export async function send<T>(table: ServingTable, what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw new ServingStoreError(`could not ${what} (table ${table.tableName})`, { cause: error });
  }
}

/** Every item under one partition key, page after page (strongly consistent). */
export async function queryItems(
  table: ServingTable,
  partitionKey: string,
  what: string,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await send(table, what, () =>
      documents(table.client).send(
        new QueryCommand({
          TableName: table.tableName,
          KeyConditionExpression: "#pk = :pk",
          ExpressionAttributeNames: { "#pk": SERVING_TABLE_KEYS.partitionKey },
          ExpressionAttributeValues: { ":pk": partitionKey },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      ),
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

/** DynamoDB's limits: keys per BatchGetItem, items per BatchWriteItem. */
const BATCH_GET_KEYS = 100;
const BATCH_WRITE_ITEMS = 25;
/** Batch requests of one call in flight at once. */
const CONCURRENT_REQUESTS = 8;
/** How often keys DynamoDB left unprocessed are asked again before the call fails. */
const UNPROCESSED_ATTEMPTS = 8;

export type ItemKey = Record<string, unknown>;

/** The items at `keys` (strongly consistent; absent ones are left out), BATCH_GET_KEYS per request. */
export async function batchGetItems(
  table: ServingTable,
  keys: readonly ItemKey[],
  what: string,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  await inParallel(chunks(keys, BATCH_GET_KEYS), async (chunk) => {
    await untilProcessed(table, what, chunk, async (pending) => {
      const page = await documents(table.client).send(
        new BatchGetCommand({ RequestItems: { [table.tableName]: { Keys: pending, ConsistentRead: true } } }),
      );
      items.push(...(page.Responses?.[table.tableName] ?? []));
      return page.UnprocessedKeys?.[table.tableName]?.Keys;
    });
  });
  return items;
}

/** Puts `items` unconditionally, BATCH_WRITE_ITEMS per request. */
export async function batchPutItems(
  table: ServingTable,
  items: readonly Record<string, unknown>[],
  what: string,
): Promise<void> {
  await inParallel(chunks(items, BATCH_WRITE_ITEMS), async (chunk) => {
    const puts = chunk.map((Item) => ({ PutRequest: { Item } }));
    await untilProcessed(table, what, puts, async (requests) => {
      const answer = await documents(table.client).send(
        new BatchWriteCommand({ RequestItems: { [table.tableName]: requests } }),
      );
      return answer.UnprocessedItems?.[table.tableName] as typeof requests | undefined;
    });
  });
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
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
