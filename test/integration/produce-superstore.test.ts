import { afterAll, describe, expect, it } from "vitest";
import { loadConfig, useLocalAwsEnv } from "../../core/config/index.ts";
import { sales } from "../../core/datasets/sales/index.ts";
import { SUPERSTORE_ROWS, superstorePath, superstoreSource } from "../../core/datasets/sales/source.ts";
import type { Dataset } from "../../core/datasets/types.ts";
import { connectProducer, createKafka } from "../../core/kafka/client.ts";
import { type InvalidRecord, produceRecords } from "../../core/producer/produce.ts";
import { ensureDatasetTopics, produceDataset } from "../../core/producer/produce-dataset.ts";
import { readCsvFile } from "../../core/sources/csv-file.ts";
import { consumeRange, highWatermarks, uniqueName } from "./ingest-helpers.ts";

/** The sales dataset on a topic of its own, so this test sees only its records. */
function salesOnUniqueTopic(): Dataset {
  return { ...sales, topics: sales.topics.map((t) => ({ ...t, topic: uniqueName("it-produce-sales") })) };
}

describe("pipeline produce sales → Kafka", () => {
  useLocalAwsEnv();
  const config = loadConfig();
  const dataset = salesOnUniqueTopic();
  const topic = dataset.topics[0]?.topic as string;

  afterAll(async () => {
    const admin = createKafka(config.kafka, "-it-cleanup").admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.disconnect();
  });

  it("produces all 9,994 Superstore rows, keyed by Row ID, with sums equal to the file's", async () => {
    // Prepare: the expected figures, computed from the file itself.
    let sales = 0;
    let profit = 0;
    let quantity = 0;
    for await (const row of readCsvFile(superstorePath())) {
      sales += Number(row.Sales);
      profit += Number(row.Profit);
      quantity += Number(row.Quantity);
    }

    // Act
    const result = await produceDataset(config, dataset, superstoreSource());
    const admin = createKafka(config.kafka, "-it-admin").admin();
    await admin.connect();
    const end = await highWatermarks(admin, [topic]);
    await admin.disconnect();
    const start = new Map([...end.keys()].map((tp) => [tp, 0]));
    const batches = await consumeRange(config, start, end);

    // Assess
    expect(result).toMatchObject({ read: SUPERSTORE_ROWS, produced: SUPERSTORE_ROWS, invalid: 0 });
    const messages = batches.flatMap((b) => b.messages);
    expect(messages).toHaveLength(SUPERSTORE_ROWS);
    const records = messages.map((m) => JSON.parse(m.value?.toString() ?? "null"));
    expect(new Set(messages.map((m) => m.key?.toString())).size).toBe(SUPERSTORE_ROWS);
    expect(messages.every((m, i) => m.key?.toString() === String(records[i]["Row ID"]))).toBe(true);
    expect(records.reduce((s, r) => s + r.Sales, 0)).toBeCloseTo(sales, 6);
    expect(records.reduce((s, r) => s + r.Profit, 0)).toBeCloseTo(profit, 6);
    expect(records.reduce((s, r) => s + r.Quantity, 0)).toBe(quantity);
    const headers = messages[0]?.headers ?? {};
    expect(Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, v?.toString()]))).toEqual({
      "schema-version": "1",
      source: "superstore-file",
      dataset: "sales",
    });
  });

  it("never sends an invalid record and never drops one silently: each is counted and reported", async () => {
    // Prepare
    const own = salesOnUniqueTopic();
    const ownTopic = own.topics[0]?.topic as string;
    await ensureDatasetTopics(config, own);
    const rows: Record<string, string>[] = [];
    for await (const row of readCsvFile(superstorePath(), 3)) rows.push(row);
    const records = [
      ...rows.map((value) => ({ entity: "orders", value })),
      { entity: "orders", value: { ...rows[0], Sales: "lots" } },
      { entity: "orders", value: { ...rows[1], "Row ID": undefined } },
      { entity: "returns", value: rows[2] },
    ];
    const reported: InvalidRecord[] = [];
    const producer = await connectProducer(createKafka(config.kafka, "-it-invalid"));

    // Act
    let result: Awaited<ReturnType<typeof produceRecords>>;
    try {
      result = await produceRecords(producer, own, records, {
        source: "test",
        onInvalid: (invalid) => {
          reported.push(invalid);
        },
      });
    } finally {
      await producer.disconnect();
    }
    const admin = createKafka(config.kafka, "-it-admin").admin();
    await admin.connect();
    const end = await highWatermarks(admin, [ownTopic]);
    await admin.deleteTopics({ topics: [ownTopic] }).catch(() => {});
    await admin.disconnect();

    // Assess
    expect(result).toMatchObject({ read: 6, produced: 3, invalid: 3, producedByTopic: { [ownTopic]: 3 } });
    expect(Object.keys(result.invalidByReason).sort()).toEqual(
      [
        expect.stringMatching(/^Row ID: /),
        expect.stringMatching(/^Sales: /),
        'unknown entity "returns"',
      ].sort(),
    );
    expect(reported.map((r) => r.index)).toEqual([4, 5, 6]);
    expect([...end.values()].reduce((a, b) => a + b, 0)).toBe(3);
  });
});
