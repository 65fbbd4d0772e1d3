import { readFileSync } from "node:fs";
import type { Readable } from "node:stream";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { s3 } from "../../core/aws/clients.ts";
import { datasets } from "../../core/datasets/index.ts";
import { sales } from "../../core/datasets/sales/index.ts";
import { superstorePath } from "../../core/datasets/sales/source.ts";
import { connectProducer, createKafka, type KafkaMessage, type Producer } from "../../core/kafka/client.ts";
import { decodeNdjsonGz, objectCreatedEvent } from "../../core/lake/index.ts";
import { ensureDatasetTopics } from "../../core/producer/produce-dataset.ts";
import { readCheckpoint } from "../../lambdas/file-to-topic/checkpoint.ts";
import { closeProducer, handler } from "../../lambdas/file-to-topic/index.ts";
import { processFile } from "../../lambdas/file-to-topic/process-file.ts";
import {
  consumeRange,
  createIngestEnv,
  highWatermarks,
  type IngestEnv,
  uniqueName,
} from "./ingest-helpers.ts";

const TOPIC = "sales.orders";

/** The Superstore header and its first `n` rows, as the file has them. */
function superstoreLines(n: number): string[] {
  return readFileSync(superstorePath(), "utf8")
    .split("\n")
    .slice(0, n + 1);
}

/** Five bad rows after 20 good ones: each costs itself only. */
function csvWithBadRows(): { text: string; good: number; bad: Map<number, RegExp> } {
  const [header, ...rows] = superstoreLines(20);
  const sample = rows[0] as string;
  const lines = [
    `\ufeff${header}`,
    ...rows,
    sample.replace('"Claire Gute"', '"Claire "Gute'), // line 22: stray quote after a closing quote
    sample.replace(/,261\.96,/, ",not-a-number,"), // line 23: wrong type
    sample.replace(/^1,/, ","), // line 24: missing key
    sample.split(",").slice(0, 5).join(","), // line 25: too few fields
    sample.replace('"Second Class"', '"Second Class'), // line 26: an unbalanced quote
  ];
  const bad = new Map<number, RegExp>([
    [22, /after closing quote/],
    [23, /Sales/],
    [24, /Row ID/],
    [25, /expected 21 fields/],
    [26, /after closing quote in field 5/],
  ]);
  return { text: `${lines.join("\r\n")}\r\n`, good: 20, bad };
}

async function put(env: IngestEnv, key: string, body: string): Promise<string> {
  const out = await s3().send(new PutObjectCommand({ Bucket: env.rawBucket, Key: key, Body: body }));
  return (out.ETag ?? "").replaceAll('"', "");
}

async function quarantined(env: IngestEnv, key: string): Promise<{ line: number; reason: string }[]> {
  const listed = await s3().send(
    new ListObjectsV2Command({
      Bucket: env.quarantineBucket,
      Prefix: `quarantine/sales/orders/files/${key}/`,
    }),
  );
  const rows: { line: number; reason: string }[] = [];
  for (const object of listed.Contents ?? []) {
    const body = await s3().send(new GetObjectCommand({ Bucket: env.quarantineBucket, Key: object.Key }));
    for await (const row of decodeNdjsonGz<{ line: number; reason: string }>(body.Body as Readable))
      rows.push(row);
  }
  return rows.sort((a, b) => a.line - b.line);
}

/** Messages this test's file produced (the topic is shared: filter on the source header). */
async function producedFrom(
  env: IngestEnv,
  key: string,
  since: Map<string, number>,
): Promise<KafkaMessage[]> {
  const admin = createKafka(env.config.kafka, "-it-admin").admin();
  await admin.connect();
  const end = await highWatermarks(admin, [TOPIC]);
  await admin.disconnect();
  const batches = await consumeRange(env.config, since, end);
  return batches.flatMap((b) => b.messages).filter((m) => m.headers?.source?.toString() === `file:${key}`);
}

async function marks(env: IngestEnv): Promise<Map<string, number>> {
  const admin = createKafka(env.config.kafka, "-it-admin").admin();
  await admin.connect();
  try {
    return await highWatermarks(admin, [TOPIC]);
  } finally {
    await admin.disconnect();
  }
}

describe("upload → file-to-topic → Kafka + quarantine", () => {
  let env: IngestEnv;

  beforeAll(async () => {
    env = await createIngestEnv({ FILE_TO_TOPIC_CONTINUATION: "inline" });
    await ensureDatasetTopics(env.config, sales);
  });

  afterAll(async () => {
    await closeProducer();
    await env.cleanup();
  });

  it("produces the valid rows of a CSV and quarantines the bad ones with line and reason", async () => {
    // Prepare
    const key = `incoming/sales/${uniqueName("orders")}.csv`;
    const file = csvWithBadRows();
    const etag = await put(env, key, file.text);
    const before = await marks(env);

    // Act
    const [result] = await handler(objectCreatedEvent([{ bucket: env.rawBucket, key, etag }]));

    // Assess
    expect(result).toMatchObject({ status: "done", produced: file.good, quarantined: file.bad.size });
    const messages = await producedFrom(env, key, before);
    expect(messages.map((m) => m.key?.toString()).sort((a, b) => Number(a) - Number(b))).toEqual(
      Array.from({ length: file.good }, (_, i) => String(i + 1)),
    );
    const bad = await quarantined(env, key);
    expect(bad.map((b) => b.line)).toEqual([...file.bad.keys()]);
    for (const row of bad) expect(row.reason).toMatch(file.bad.get(row.line) as RegExp);
  });

  it("does nothing when the same S3 event is delivered again", async () => {
    // Prepare
    const key = `incoming/sales/orders/${uniqueName("again")}.csv`;
    const etag = await put(env, key, `${superstoreLines(5).join("\n")}\n`);
    const event = objectCreatedEvent([{ bucket: env.rawBucket, key, etag }]);
    const before = await marks(env);
    await handler(event);

    // Act
    const [again] = await handler(event);

    // Assess
    expect(again?.status).toBe("already-done");
    expect(await producedFrom(env, key, before)).toHaveLength(5);
  });

  it("resumes a file across invocations from its checkpoint without losing or repeating rows", async () => {
    // Prepare: NDJSON, read 7 rows per invocation.
    const [header, ...rows] = superstoreLines(30);
    const columns = (header as string).split(",").map((c) => c.replaceAll('"', ""));
    const objects = rows.map((line) => {
      const cells =
        line.match(/("([^"]|"")*"|[^,]*)(,|$)/g)?.map((c) => c.replace(/,$/, "").replace(/^"|"$/g, "")) ?? [];
      return JSON.stringify(Object.fromEntries(columns.map((c, i) => [c, cells[i]])));
    });
    const key = `incoming/sales/${uniqueName("resume")}.ndjson`;
    await put(env, key, `${objects.join("\n")}\n`);
    const before = await marks(env);
    const producer: Producer = await connectProducer(createKafka(env.config.kafka, "-it-resume"));
    const deps = {
      s3: s3(),
      producer,
      datasets,
      quarantineBucket: env.quarantineBucket,
      checkpointBucket: env.rawBucket,
    };
    const job = { bucket: env.rawBucket, key };

    // Act
    const statuses: string[] = [];
    try {
      for (let i = 0; i < 10; i++) {
        const result = await processFile(job, deps, { maxRows: 7, segmentRows: 3 });
        statuses.push(result.status);
        if (result.status !== "partial") break;
      }
    } finally {
      await producer.disconnect();
    }

    // Assess
    expect(statuses).toEqual(["partial", "partial", "partial", "partial", "done"]);
    const checkpoint = await readCheckpoint(s3(), env.rawBucket, key);
    expect(checkpoint).toMatchObject({
      done: true,
      produced: 30,
      quarantined: 0,
      invocations: 5,
      nextLine: 31,
    });
    const messages = await producedFrom(env, key, before);
    expect(messages.map((m) => Number(m.key?.toString())).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 30 }, (_, i) => i + 1),
    );
  });

  it("skips a file whose key names no dataset, without failing the other files of the event", async () => {
    // Prepare
    const lost = `incoming/nowhere/${uniqueName("x")}.csv`;
    const good = `incoming/sales/${uniqueName("ok")}.csv`;
    const lostTag = await put(env, lost, "a,b\n1,2\n");
    const goodTag = await put(env, good, `${superstoreLines(2).join("\n")}\n`);

    // Act
    const results = await handler(
      objectCreatedEvent([
        { bucket: env.rawBucket, key: lost, etag: lostTag },
        { bucket: env.rawBucket, key: good, etag: goodTag },
      ]),
    );

    // Assess
    expect(results.map((r) => [r.checkpoint.key, r.status, r.produced])).toEqual([[good, "done", 2]]);
  });
});
