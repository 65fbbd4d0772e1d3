/**
 * The registered candidates, live: one item per candidate id in the serving table (`pk` =
 * `candidates`, `sk` = the id), written by the aggregate from `elections.candidates` and read
 * with the partition states (live-results.ts decides which votes are in a total). Writing a
 * candidate again is a no-op, so redelivered batches are harmless.
 */
import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { documents, queryItems, SERVING_TABLE_KEYS, type ServingTable, send } from "./serving-table.ts";

const REGISTRY_KEY = "candidates";

export async function registerCandidates(
  table: ServingTable,
  candidateIds: Iterable<string>,
): Promise<number> {
  let written = 0;
  for (const candidateId of new Set(candidateIds)) {
    await send(table, `register candidate ${candidateId}`, () =>
      documents(table.client).send(
        new PutCommand({
          TableName: table.tableName,
          Item: {
            [SERVING_TABLE_KEYS.partitionKey]: REGISTRY_KEY,
            [SERVING_TABLE_KEYS.sortKey]: candidateId,
            registeredAt: new Date().toISOString(),
          },
        }),
      ),
    );
    written += 1;
  }
  return written;
}

export async function readRegisteredCandidates(table: ServingTable): Promise<Set<string>> {
  const items = await queryItems(table, REGISTRY_KEY, "read the registered candidates");
  return new Set(items.map((item) => String(item[SERVING_TABLE_KEYS.sortKey])));
}
