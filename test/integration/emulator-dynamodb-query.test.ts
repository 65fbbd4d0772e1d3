/**
 * DynamoDB Query on the AWS emulator, through AWS SDK v3 (the serving table's partition reads):
 * serve.py makes a base-table Query read its one partition key's items, where moto sorted the
 * whole table for each Query (docs/PERFORMANCE.md). The answers must stay DynamoDB's: the
 * partition's items in sort-key order, key conditions, reverse order, Limit and its
 * LastEvaluatedKey, a partition that does not exist, and an index Query that reads them all.
 */
import { randomUUID } from "node:crypto";
import { CreateTableCommand, DeleteTableCommand } from "@aws-sdk/client-dynamodb";
import { BatchWriteCommand, DynamoDBDocumentClient, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dynamodb, resetAwsClients } from "../../core/aws/clients.ts";

describe("DynamoDB Query on the AWS emulator", () => {
  const table = `query-${randomUUID()}`;
  const doc = () => DynamoDBDocumentClient.from(dynamodb());
  const query = async (input: Omit<ConstructorParameters<typeof QueryCommand>[0], "TableName">) =>
    doc().send(new QueryCommand({ TableName: table, ...input }));
  const sortKeys = (items: Record<string, unknown>[] | undefined) => (items ?? []).map((i) => i.sk);

  beforeAll(async () => {
    // Prepare: three partitions of 6 items (written out of order) among 500 other partitions.
    resetAwsClients();
    await dynamodb().send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [
          { AttributeName: "pk", AttributeType: "S" },
          { AttributeName: "sk", AttributeType: "S" },
          { AttributeName: "kind", AttributeType: "S" },
        ],
        KeySchema: [
          { AttributeName: "pk", KeyType: "HASH" },
          { AttributeName: "sk", KeyType: "RANGE" },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: "by-kind",
            KeySchema: [
              { AttributeName: "kind", KeyType: "HASH" },
              { AttributeName: "pk", KeyType: "RANGE" },
            ],
            Projection: { ProjectionType: "ALL" },
          },
        ],
      }),
    );
    const items = [
      ...["p1", "p2", "p3"].flatMap((pk) =>
        ["s5", "s2", "s0", "s4", "s1", "s3"].map((sk) => ({ pk: `state#${pk}`, sk, kind: "state" })),
      ),
      ...Array.from({ length: 500 }, (_, i) => ({ pk: `voter#${i}`, sk: "vote", kind: "claim" })),
    ];
    for (let i = 0; i < items.length; i += 25) {
      const chunk = items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } }));
      await doc().send(new BatchWriteCommand({ RequestItems: { [table]: chunk } }));
    }
  });
  afterAll(async () => {
    await dynamodb().send(new DeleteTableCommand({ TableName: table }));
  });

  it("answers a partition's items in sort-key order, with key conditions, reversed, and paged by Limit", async () => {
    // Act
    const all = await query({
      KeyConditionExpression: "pk = :pk",
      ExpressionAttributeValues: { ":pk": "state#p2" },
      ConsistentRead: true,
    });
    const above = await query({
      KeyConditionExpression: "pk = :pk AND sk > :sk",
      ExpressionAttributeValues: { ":pk": "state#p3", ":sk": "s3" },
    });
    const firstPage = await query({
      KeyConditionExpression: "pk = :pk",
      ExpressionAttributeValues: { ":pk": "state#p1" },
      ScanIndexForward: false,
      Limit: 2,
    });
    const secondPage = await query({
      KeyConditionExpression: "pk = :pk",
      ExpressionAttributeValues: { ":pk": "state#p1" },
      ScanIndexForward: false,
      Limit: 2,
      ExclusiveStartKey: firstPage.LastEvaluatedKey,
    });
    const missing = await query({
      KeyConditionExpression: "pk = :pk",
      ExpressionAttributeValues: { ":pk": "state#nobody" },
    });

    // Assess
    expect(sortKeys(all.Items)).toEqual(["s0", "s1", "s2", "s3", "s4", "s5"]);
    expect(all.Items?.every((i) => i.pk === "state#p2")).toBe(true);
    expect(sortKeys(above.Items)).toEqual(["s4", "s5"]);
    expect(sortKeys(firstPage.Items)).toEqual(["s5", "s4"]);
    expect(firstPage.LastEvaluatedKey).toEqual({ pk: "state#p1", sk: "s4" });
    expect(sortKeys(secondPage.Items)).toEqual(["s3", "s2"]);
    expect(missing.Items).toEqual([]);
    expect(missing.LastEvaluatedKey).toBeUndefined();
  });

  it("answers an index Query from every partition", async () => {
    // Act
    const states = await query({
      IndexName: "by-kind",
      KeyConditionExpression: "kind = :kind",
      ExpressionAttributeValues: { ":kind": "state" },
    });

    // Assess
    expect(states.Items).toHaveLength(18);
    expect(new Set(states.Items?.map((i) => i.pk))).toEqual(new Set(["state#p1", "state#p2", "state#p3"]));
  });
});
