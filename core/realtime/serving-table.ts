/**
 * The serving table itself: its key schema, its name with the client that reaches it, and the
 * helpers every reader and writer of it shares (store.ts, voter-claims.ts, candidate-registry.ts).
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, QueryCommand } from "@aws-sdk/lib-dynamodb";
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
