/**
 * Issue 4's end-to-end test: 100,000 votes and their voters → Kafka → MSK-shaped events
 * (Lambda's batch limits) → land-records → S3 raw/ objects → load-raw per object's S3 event
 * → the raw tables hold exactly what was produced. Replaying the same events and re-sending
 * the same S3 events changes nothing.
 */
import { performance } from "node:perf_hooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { elections } from "../../core/datasets/elections/index.ts";
import { generatedElections } from "../../core/datasets/elections/source.ts";
import { createKafka } from "../../core/kafka/client.ts";
import { type ConsumedBatch, toMskEvents } from "../../core/msk-event/index.ts";
import { ensureDatasetTopics, produceDataset } from "../../core/producer/produce-dataset.ts";
import { pgQualified } from "../../core/warehouse/index.ts";
import { diffRawTable } from "./ingest-expected.ts";
import {
  consumeRange,
  createIngestEnv,
  highWatermarks,
  type IngestEnv,
  landAll,
  listObjects,
  loadAll,
  rawPool,
} from "./ingest-helpers.ts";

// INGEST_TEST_VOTERS shrinks the run while debugging; the issue asks for 100,000.
const VOTERS = Number(process.env.INGEST_TEST_VOTERS ?? 100_000);
const options = {
  count: VOTERS,
  seed: 20261122,
  window: { start: Date.UTC(2026, 10, 3, 6), end: Date.UTC(2026, 10, 4, 2) },
};
const topics = elections.topics.map((t) => t.topic);

/** Records per second of a stage, for the report printed at the end. */
const rates: Record<string, string> = {};
async function timed<T>(stage: string, records: number, work: () => Promise<T>): Promise<T> {
  const start = performance.now();
  const result = await work();
  const seconds = (performance.now() - start) / 1000;
  rates[stage] = `${records} records in ${seconds.toFixed(1)} s = ${Math.round(records / seconds)} records/s`;
  return result;
}

describe("elections: produce → land → load, exactly once", () => {
  let env: IngestEnv;
  let consumed: ConsumedBatch[];
  let produced: number;

  beforeAll(async () => {
    env = await createIngestEnv();
    await ensureDatasetTopics(env.config, elections);
    const admin = createKafka(env.config.kafka, "-it-admin").admin();
    await admin.connect();
    const from = await highWatermarks(admin, topics);
    const result = await timed("produce", 2 * VOTERS, () =>
      produceDataset(env.config, elections, generatedElections(options)),
    );
    produced = result.produced;
    const to = await highWatermarks(admin, topics);
    await admin.disconnect();
    consumed = await timed("consume", produced, () => consumeRange(env.config, from, to));
  }, 600_000);

  afterAll(async () => {
    console.info(
      `ingest throughput per stage:\n${Object.entries(rates)
        .map(([s, r]) => `  ${s}: ${r}`)
        .join("\n")}`,
    );
    await env?.cleanup();
  });

  it("lands every record once and loads exactly the produced records", async () => {
    // Prepare
    const events = toMskEvents(consumed);
    const consumedCount = consumed.reduce((n, b) => n + b.messages.length, 0);

    // Act
    const landing = await timed("land-records", consumedCount, () => landAll(events));
    const loading = await timed("load-raw", consumedCount, () => loadAll(env.rawBucket));

    // Assess
    expect(consumedCount).toBe(produced);
    expect(events.every((e) => Object.values(e.records).flat().length <= 10_000)).toBe(true);
    expect(landing).toEqual({ landed: produced, quarantined: 0 });
    expect(await listObjects(env.quarantineBucket)).toEqual([]);
    expect(loading.rowsInserted).toBe(produced);
    const expected = await expectedRecords();
    for (const spec of elections.topics) {
      const diff = await diffRawTable(
        rawPool(env.config),
        pgQualified(env.schema, spec.rawTable),
        expected.get(spec.topic) ?? [],
      );
      expect({ table: spec.rawTable, ...diff }).toEqual({
        table: spec.rawTable,
        rows: expected.get(spec.topic)?.length,
        missing: 0,
        unexpected: 0,
      });
    }
  }, 600_000);

  it("changes nothing when the same MSK events and S3 events are delivered again", async () => {
    // Prepare
    const objectsBefore = await listObjects(env.rawBucket, "raw/");
    const countsBefore = await rowCounts();

    // Act
    const landing = await landAll(toMskEvents(consumed));
    const loading = await loadAll(env.rawBucket);

    // Assess
    expect(landing.landed).toBe(produced);
    expect((await listObjects(env.rawBucket, "raw/")).map((o) => [o.key, o.etag])).toEqual(
      objectsBefore.map((o) => [o.key, o.etag]),
    );
    expect(loading).toEqual({ objects: objectsBefore.length, rowsInserted: 0 });
    expect(await rowCounts()).toEqual(countsBefore);
    const manifest = await rawPool(env.config).query<{ objects: string; keys: string; rows: string }>(
      `select count(*) as objects, count(distinct object_key) as keys, sum(rows_inserted) as rows
       from ${pgQualified(env.schema, "_load_manifest")}`,
    );
    expect(manifest.rows[0]).toEqual({
      objects: String(objectsBefore.length),
      keys: String(objectsBefore.length),
      rows: String(produced),
    });
  }, 600_000);

  /** The generator's output again (same seed and window), canonical, grouped by topic. */
  async function expectedRecords(): Promise<Map<string, { key: string; value: unknown }[]>> {
    const byTopic = new Map<string, { key: string; value: unknown }[]>();
    for await (const record of generatedElections(options).records) {
      const spec = elections.topics.find((t) => t.entity === record.entity);
      if (!spec) throw new Error(`the generator produced an undeclared entity ${record.entity}`);
      const value = spec.schema.parse(record.value);
      const list = byTopic.get(spec.topic) ?? [];
      list.push({ key: spec.key(value), value });
      byTopic.set(spec.topic, list);
    }
    return byTopic;
  }

  async function rowCounts(): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const spec of elections.topics) {
      const { rows } = await rawPool(env.config).query<{ n: string }>(
        `select count(*) as n from ${pgQualified(env.schema, spec.rawTable)}`,
      );
      counts[spec.rawTable] = Number(rows[0]?.n);
    }
    return counts;
  }
});
