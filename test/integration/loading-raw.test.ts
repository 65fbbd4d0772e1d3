/**
 * load-raw and load-pending on the real services: concurrent deliveries of the same S3 event
 * load an object once; S3 events batched through SQS report only the failed messages; the
 * "load pending files" step loads exactly the objects the manifest doesn't hold.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { elections } from "../../core/datasets/elections/index.ts";
import { connectProducer, createKafka } from "../../core/kafka/client.ts";
import { type ObjectRef, objectCreatedEvent, parseBatchKey } from "../../core/lake/index.ts";
import { toMskEvents } from "../../core/msk-event/index.ts";
import { ensureDatasetTopics } from "../../core/producer/produce-dataset.ts";
import { pgQualified } from "../../core/warehouse/index.ts";
import { sqsEventOf, validVote } from "../fixtures/records.ts";
import {
  consumeRange,
  createIngestEnv,
  highWatermarks,
  type IngestEnv,
  landAll,
  listObjects,
  rawPool,
} from "./ingest-helpers.ts";

const VOTES = 300;

describe("loading landed objects", () => {
  let env: IngestEnv;
  let objects: ObjectRef[];
  let loadRaw: typeof import("../../lambdas/load-raw/index.ts").handler;
  let loadPending: typeof import("../../lambdas/load-pending/index.ts").handler;

  beforeAll(async () => {
    // Prepare: 300 votes landed as one object per partition
    env = await createIngestEnv();
    ({ handler: loadRaw } = await import("../../lambdas/load-raw/index.ts"));
    ({ handler: loadPending } = await import("../../lambdas/load-pending/index.ts"));
    await ensureDatasetTopics(env.config, elections);
    const kafka = createKafka(env.config.kafka, "-it");
    const admin = kafka.admin();
    await admin.connect();
    const from = await highWatermarks(admin, ["elections.votes"]);
    const producer = await connectProducer(kafka);
    const votes = Array.from({ length: VOTES }, () => ({ ...validVote, voter_id: randomUUID() }));
    await producer.send({
      topic: "elections.votes",
      messages: votes.map((v) => ({ key: v.voter_id, value: JSON.stringify(v) })),
    });
    await producer.disconnect();
    const to = await highWatermarks(admin, ["elections.votes"]);
    await admin.disconnect();
    await landAll(toMskEvents(await consumeRange(env.config, from, to)));
    objects = await listObjects(env.rawBucket, "raw/");
  });

  afterAll(async () => env?.cleanup());

  const votesTable = () => pgQualified(env.schema, "elections_votes");
  const count = async (sql: string) =>
    Number((await rawPool(env.config).query<{ n: string }>(sql)).rows[0]?.n);

  it("loads an object once when the same S3 event arrives twice at the same time", async () => {
    // Prepare
    const [object] = objects;
    if (!object) throw new Error("nothing landed");
    const event = objectCreatedEvent([object]);
    // Act
    const results = await Promise.all([loadRaw(event), loadRaw(event)]);
    // Assess
    const statuses = results.flatMap((r) => ("loads" in r ? r.loads.map((l) => l.status) : []));
    expect(statuses.sort()).toEqual(["loaded", "skipped"]);
    expect(await count(`select count(*) as n from ${votesTable()}`)).toBe(
      Number(parseBatchKey(object.key)?.lastOffset) - Number(parseBatchKey(object.key)?.firstOffset) + 1,
    );
  });

  it("reports only the failed message of an SQS batch", async () => {
    // Prepare: one message for a landed object, one for an object that isn't there
    const [, object] = objects;
    if (!object) throw new Error("fewer than two objects landed");
    const missing = { ...object, key: object.key.replace(/\/p=\d+\//, "/p=99/") };
    const event = sqsEventOf([
      JSON.stringify(objectCreatedEvent([object])),
      JSON.stringify(objectCreatedEvent([missing])),
    ]);
    // Act
    const response = await loadRaw(event);
    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: "m-1" }] });
    expect(
      await count(
        `select count(*) as n from ${pgQualified(env.schema, "_load_manifest")} where object_key = '${object.key}'`,
      ),
    ).toBe(1);
    expect(
      await count(
        `select count(*) as n from ${pgQualified(env.schema, "_load_manifest")} where object_key = '${missing.key}'`,
      ),
    ).toBe(0);
  });

  it("load-pending loads what the manifest lacks, for a day range, and nothing the second time", async () => {
    // Prepare
    const day = parseBatchKey(objects[0]?.key ?? "")?.dt as string;
    // Act
    const first = await loadPending({ from: day, to: day });
    const second = await loadPending({});
    // Assess
    expect(first).toEqual({
      listed: objects.length,
      alreadyLoaded: 2,
      loaded: objects.length - 2,
      rowsInserted: expect.any(Number),
    });
    expect(second).toEqual({
      listed: objects.length,
      alreadyLoaded: objects.length,
      loaded: 0,
      rowsInserted: 0,
    });
    expect(await count(`select count(*) as n from ${votesTable()}`)).toBe(VOTES);
    expect(await count(`select count(*) as n from ${pgQualified(env.schema, "_load_manifest")}`)).toBe(
      objects.length,
    );
  });
});
