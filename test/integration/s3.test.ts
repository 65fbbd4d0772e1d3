import { randomUUID } from "node:crypto";
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resetAwsClients, s3 } from "../../core/aws/clients.ts";

describe("S3 on the AWS emulator, through AWS SDK v3", () => {
  const bucket = `services-s3-${randomUUID()}`;

  beforeAll(async () => {
    resetAwsClients();
    await s3().send(new CreateBucketCommand({ Bucket: bucket }));
  });
  afterAll(async () => {
    const listed = await s3().send(new ListObjectsV2Command({ Bucket: bucket }));
    const objects = (listed.Contents ?? []).map((o) => ({ Key: o.Key as string }));
    if (objects.length > 0)
      await s3().send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects } }));
    await s3().send(new DeleteBucketCommand({ Bucket: bucket }));
  });

  it("puts, gets and lists objects under a prefix", async () => {
    // Prepare
    const body = `${JSON.stringify({ id: 1, name: "ada" })}\n`;

    // Act
    await s3().send(new PutObjectCommand({ Bucket: bucket, Key: "incoming/sales/a.ndjson", Body: body }));
    await s3().send(new PutObjectCommand({ Bucket: bucket, Key: "incoming/sales/b.ndjson", Body: "{}\n" }));
    await s3().send(new PutObjectCommand({ Bucket: bucket, Key: "raw/other.ndjson", Body: "{}\n" }));
    const got = await s3().send(new GetObjectCommand({ Bucket: bucket, Key: "incoming/sales/a.ndjson" }));
    const listed = await s3().send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "incoming/" }));

    // Assess
    expect(await got.Body?.transformToString()).toBe(body);
    expect(listed.Contents?.map((o) => o.Key)).toEqual([
      "incoming/sales/a.ndjson",
      "incoming/sales/b.ndjson",
    ]);
  });
});
