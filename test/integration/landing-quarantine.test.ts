/**
 * Bad input never fails a batch and is never lost: broken JSON, schema violations, wrong
 * types, a missing key, an oversized record, invalid UTF-8 and a topic no dataset owns are
 * quarantined with their reason, the valid records around them land and load, and
 * produced = raw + quarantined.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { elections } from "../../core/datasets/elections/index.ts";
import { connectProducer, createKafka, ensureTopics } from "../../core/kafka/client.ts";
import { toMskEvents } from "../../core/msk-event/index.ts";
import { ensureDatasetTopics } from "../../core/producer/produce-dataset.ts";
import { pgQualified } from "../../core/warehouse/index.ts";
import type { QuarantineLine } from "../../lambdas/land-records/land.ts";
import { validVote } from "../fixtures/records.ts";
import {
  consumeRange,
  createIngestEnv,
  highWatermarks,
  type IngestEnv,
  landAll,
  listObjects,
  loadAll,
  rawPool,
  readLines,
  uniqueName,
} from "./ingest-helpers.ts";

const MAX_RECORD_BYTES = 4096;
const VALID = 40;

const vote = (overrides: Record<string, unknown> = {}) =>
  JSON.stringify({ ...validVote, voter_id: randomUUID(), ...overrides });
const invalidUtf8 = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]);

/** Each bad record, the reason it must be quarantined with. */
const bad: { reason: string; key: string | null; value: Buffer | string }[] = [
  { reason: "invalid-json", key: "k-json", value: '{"voter_id": "abc", ' },
  { reason: "invalid-json", key: "k-empty", value: "" },
  { reason: "schema-violation", key: "k-schema", value: vote({ voter_id: "not-a-uuid" }) },
  { reason: "schema-violation", key: "k-missing-field", value: JSON.stringify({ voter_id: randomUUID() }) },
  { reason: "schema-violation", key: "k-type", value: vote({ vote: "1", state: 42 }) },
  { reason: "missing-key", key: null, value: vote() },
  { reason: "oversized", key: "k-big", value: vote({ state: "x".repeat(MAX_RECORD_BYTES) }) },
  { reason: "invalid-utf8", key: "k-utf8", value: invalidUtf8 },
];

describe("bad input is quarantined with its reason, the batch goes on", () => {
  let env: IngestEnv;
  let unknownTopic: string;
  let produced: number;
  let landing: { landed: number; quarantined: number };

  beforeAll(async () => {
    // Prepare: valid votes interleaved with bad records, plus records on a topic no dataset owns
    env = await createIngestEnv({ MAX_RECORD_BYTES: String(MAX_RECORD_BYTES) });
    unknownTopic = uniqueName("it.unknown");
    await ensureDatasetTopics(env.config, elections);
    const kafka = createKafka(env.config.kafka, "-it");
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [{ topic: unknownTopic, partitions: 1 }]);
    const topics = ["elections.votes", unknownTopic];
    const from = await highWatermarks(admin, topics);
    const messages = Array.from({ length: VALID }, () => ({
      key: null as string | null,
      value: vote() as Buffer | string,
    }));
    for (const m of messages) m.key = JSON.parse(m.value as string).voter_id;
    for (const [i, b] of bad.entries()) messages.splice(i * 5, 0, { key: b.key, value: b.value });
    const producer = await connectProducer(kafka);
    await producer.send({ topic: "elections.votes", messages });
    await producer.send({
      topic: unknownTopic,
      messages: [
        { key: "u", value: vote() },
        { key: "v", value: "{}" },
      ],
    });
    await producer.disconnect();
    produced = messages.length + 2;
    const to = await highWatermarks(admin, topics);
    await admin.disconnect();

    // Act
    const consumed = await consumeRange(env.config, from, to);
    landing = await landAll(toMskEvents(consumed));
    await loadAll(env.rawBucket);
  });

  afterAll(async () => env?.cleanup());

  it("lands the valid records and quarantines each bad one with its reason", async () => {
    // Assess
    expect(landing).toEqual({ landed: VALID, quarantined: bad.length + 2 });
    const lines = await quarantineLines();
    const datasetLines = lines.filter((l) => l.topic === "elections.votes");
    expect(datasetLines.map((l) => l.reason.split(":")[0]).sort()).toEqual(bad.map((b) => b.reason).sort());
    expect(datasetLines.find((l) => l.key === "k-utf8")?.value).toEqual({
      base64: invalidUtf8.toString("base64"),
    });
    expect(datasetLines.find((l) => l.key === "k-json")?.value).toBe('{"voter_id": "abc", ');
    expect(datasetLines.find((l) => l.key === "k-type")?.reason).toMatch(/vote|state/);
    const unknown = lines.filter((l) => l.topic === unknownTopic);
    expect(unknown.map((l) => l.reason.split(":")[0])).toEqual(["unknown-topic", "unknown-topic"]);
  });

  it("writes quarantine objects under the dataset's folder, and _unknown/<topic>/ for strangers", async () => {
    const keys = (await listObjects(env.quarantineBucket)).map((o) => o.key);
    expect(keys.some((k) => k.startsWith("quarantine/elections/votes/dt="))).toBe(true);
    expect(keys.some((k) => k.startsWith(`quarantine/_unknown/${unknownTopic}/dt=`))).toBe(true);
  });

  it("reconciles: produced = raw + quarantined", async () => {
    const { rows } = await rawPool(env.config).query<{ n: string }>(
      `select count(*) as n from ${pgQualified(env.schema, "elections_votes")}`,
    );
    const quarantined = (await quarantineLines()).length;
    expect(Number(rows[0]?.n)).toBe(VALID);
    expect(Number(rows[0]?.n) + quarantined).toBe(produced);
  });

  async function quarantineLines(): Promise<QuarantineLine[]> {
    const objects = await listObjects(env.quarantineBucket);
    return (await Promise.all(objects.map((o) => readLines<QuarantineLine>(o.bucket, o.key)))).flat();
  }
});
