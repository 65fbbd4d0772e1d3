/**
 * The reconcile readers against the real services: records produced to a topic of this test's
 * own, landed by land-records' real logic into this test's buckets (one batch twice, under two
 * keys, as after a crash), loaded by the real loader into this test's raw schema, then counted
 * and judged stage by stage. Then the lake and the warehouse are damaged and reconcile must say
 * exactly where. Last, the CLI's --json output on the dataset topics with empty buckets.
 */
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { promisify } from "node:util";
import { DeleteObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { s3 } from "../../core/aws/clients.ts";
import { elections } from "../../core/datasets/elections/index.ts";
import type { TopicSpec } from "../../core/datasets/index.ts";
import { connectProducer, createKafka, ensureTopics } from "../../core/kafka/client.ts";
import { type MskRecord, toMskEvents } from "../../core/msk-event/index.ts";
import { type ReconcileReport, reconcile, type TopicLocation } from "../../core/reconcile/reconcile.ts";
import { pgQualified } from "../../core/warehouse/index.ts";
import { landPartitionBatch } from "../../lambdas/land-records/land.ts";
import { validVote } from "../fixtures/records.ts";
import {
  consumeRange,
  createIngestEnv,
  highWatermarks,
  type IngestEnv,
  listObjects,
  loadAll,
  rawPool,
  uniqueName,
  votesLocation,
} from "./ingest-helpers.ts";

const run = promisify(execFile);
const votes = elections.topics.find((t) => t.entity === "votes") as TopicSpec;

describe("pipeline reconcile", () => {
  let env: IngestEnv;
  let location: TopicLocation;
  let first: ReconcileReport;

  beforeAll(async () => {
    // Prepare: 12 valid votes and 2 bad records over two partitions of a fresh topic.
    env = await createIngestEnv();
    const topic = uniqueName("it.reconcile");
    const kafka = createKafka(env.config.kafka, "-it");
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [{ topic, partitions: 2 }]);
    const from = await highWatermarks(admin, [topic]);
    const vote = (partition: number) => {
      const value = { ...validVote, voter_id: randomUUID() };
      return { partition, key: value.voter_id, value: JSON.stringify(value) };
    };
    const producer = await connectProducer(kafka);
    await producer.send({
      topic,
      messages: [
        ...Array.from({ length: 8 }, () => vote(0)),
        { partition: 0, key: "k-json", value: '{"voter_id": ' },
        ...Array.from({ length: 4 }, () => vote(1)),
        { partition: 1, key: "k-schema", value: JSON.stringify({ ...validVote, voter_id: "nope" }) },
      ],
    });
    await producer.disconnect();
    const to = await highWatermarks(admin, [topic]);
    await admin.disconnect();

    // Land with the real land-records logic, the test topic standing in for elections.votes.
    const targets = { s3: s3(), rawBucket: env.rawBucket, quarantineBucket: env.quarantineBucket };
    const options = { resolveTopic: () => ({ dataset: elections, spec: votes }) };
    const batches = toMskEvents(await consumeRange(env.config, from, to)).flatMap((e) =>
      Object.values(e.records),
    );
    for (const records of batches) await landPartitionBatch(records, targets, options);
    // A crash after writing, before the commit: the first three records land again under another key.
    const partition0 = batches.find((b) => b[0]?.partition === 0) as MskRecord[];
    await landPartitionBatch(partition0.slice(0, 3), targets, options);
    await loadAll(env.rawBucket);
    location = await votesLocation(env, topic);

    // Act
    first = await reconcile(env.config, [location]);
  });

  afterAll(async () => env?.cleanup());

  it("accounts for every record, counting the batch landed twice once", () => {
    // Assess
    const [t] = first.topics;
    expect(first.reconciled).toBe(true);
    expect(t?.issues).toEqual([]);
    expect([t?.lost, t?.duplicated]).toEqual([0, 0]);
    expect(t?.kafka.records).toBe(14);
    expect(t?.landed).toEqual({ records: 12, lines: 15, objects: 3 });
    expect(t?.quarantined).toMatchObject({
      records: 2,
      byReason: { "invalid-json": 1, "schema-violation": 1 },
    });
    expect(t?.raw).toEqual({ table: `${env.schema}.elections_votes`, rows: 12, distinctKeys: 12 });
    expect(t?.staging).toEqual({ built: true, view: `${env.schema}.stg_votes`, rows: 12 });
  });

  it("names the partition and offsets of a lost quarantine object and a row missing from the raw table", async () => {
    // Prepare: remove partition 1's quarantine object and one loaded row of partition 0.
    const quarantined = await listObjects(env.quarantineBucket, "quarantine/");
    const lost = quarantined.find((o) => o.key.includes("/p=1/"));
    await s3().send(new DeleteObjectCommand({ Bucket: env.quarantineBucket, Key: lost?.key }));
    await rawPool(env.config).query(
      `delete from ${pgQualified(env.schema, "elections_votes")} where partition = 0 and "offset" = (
         select min("offset") + 2 from ${pgQualified(env.schema, "elections_votes")} where partition = 0)`,
    );
    const p0 = first.topics[0]?.kafka.partitions.find((p) => p.partition === 0);
    const p1 = first.topics[0]?.kafka.partitions.find((p) => p.partition === 1);
    // Act
    const report = await reconcile(env.config, [location]);
    // Assess
    expect(report.reconciled).toBe(false);
    expect(report.topics[0]?.lost).toBe(2);
    const missing = { from: (p1?.high ?? 0) - 1, to: (p1?.high ?? 0) - 1 };
    const row = { from: (p0?.low ?? 0) + 2, to: (p0?.low ?? 0) + 2 };
    expect(report.topics[0]?.issues.map((i) => [i.stage, i.kind, i.partition, i.count, i.ranges])).toEqual([
      ["lake", "not-landed", 1, 1, [missing]],
      ["warehouse", "not-loaded", 0, 1, [row]],
    ]);
  });

  it("prints the documented JSON and exits 1 when the dataset topics are not in (empty) buckets", async () => {
    // Act: the CLI on the sales topic, this test's empty buckets and schema.
    const result = await run("node", ["bin/pipeline.mjs", "reconcile", "--dataset", "sales", "--json"], {
      env: { ...process.env, DBT_SCHEMA: env.schema },
    }).catch((error: { code: number; stdout: string }) => error);
    // Assess
    const report = JSON.parse(result.stdout) as ReconcileReport;
    expect(report.topics.map((t) => t.topic)).toEqual(["sales.orders"]);
    const [orders] = report.topics;
    expect(orders?.landed.records).toBe(0);
    expect(orders?.raw).toMatchObject({ table: `${env.schema}.sales_orders`, rows: 0 });
    expect(orders?.staging).toEqual({ built: false });
    const notLanded = orders?.issues.filter((i) => i.kind === "not-landed").reduce((n, i) => n + i.count, 0);
    expect(notLanded).toBe(orders?.kafka.records);
    expect(report.reconciled).toBe(orders?.kafka.records === 0);
    expect("code" in result ? result.code : 0).toBe(report.reconciled ? 0 : 1);
  });
});
