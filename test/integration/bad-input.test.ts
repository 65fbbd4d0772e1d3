/**
 * Bad input that passes validation must reach the warehouse exactly as sent: SQL-looking text,
 * quotes and backslashes, emoji and right-to-left text, a string of half a megabyte, a
 * duplicated record (same key, two offsets), a batch landed twice, and a Kafka timestamp past
 * year 9999 (filed under 9999-12-31, loaded with its own time). Landed by land-records'
 * real logic into this test's buckets and loaded by the real loader into this test's schema.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { s3 } from "../../core/aws/clients.ts";
import { type MskRecord, toMskEvent } from "../../core/msk-event/index.ts";
import { pgQualified } from "../../core/warehouse/index.ts";
import { landPartitionBatch } from "../../lambdas/land-records/land.ts";
import { validOrder } from "../fixtures/records.ts";
import { createIngestEnv, type IngestEnv, listObjects, loadAll, rawPool } from "./ingest-helpers.ts";

const hostile = [
  "Ohio'); drop table raw.elections_votes; --",
  'back\\slash "quoted" \t tab \n newline',
  "🗳️ שלום $$ dollar-quoted $tag$",
  "x".repeat(500_000),
];

describe("hostile but valid input is stored verbatim, once", () => {
  let env: IngestEnv;
  let rows: { offset: string; name: string }[];

  beforeAll(async () => {
    // Prepare: one order line per hostile Product Name, then the first again (a duplicate record).
    env = await createIngestEnv();
    const values = [
      ...hostile.map((name) => ({ ...validOrder, "Product Name": name })),
      { ...validOrder, "Product Name": hostile[0] },
    ];
    const messages = values.map((value, i) => ({
      key: Buffer.from(String(validOrder["Row ID"])),
      value: Buffer.from(JSON.stringify(value)),
      timestamp: "1762178700000",
      attributes: 0,
      offset: String(100 + i),
      headers: {},
    }));
    const records = toMskEvent([{ topic: "sales.orders", partition: 0, messages }]).records[
      "sales.orders-0"
    ] as MskRecord[];
    const targets = { s3: s3(), rawBucket: env.rawBucket, quarantineBucket: env.quarantineBucket };

    // Act: land the batch, land its first two records again (after a crash), load everything.
    await landPartitionBatch(records, targets);
    await landPartitionBatch(records.slice(0, 2), targets);
    await loadAll(env.rawBucket);
    const result = await rawPool(env.config).query<{ offset: string; name: string }>(
      `select "offset"::text as offset, payload->>'Product Name' as name
         from ${pgQualified(env.schema, "sales_orders")} order by "offset"`,
    );
    rows = result.rows;
  });

  afterAll(async () => env?.cleanup());

  it("stores each string exactly as produced", () => {
    // Assess
    expect(rows.slice(0, hostile.length).map((r) => r.name)).toEqual(hostile);
  });

  it("keeps a duplicated record (two offsets) twice and the batch landed twice once", () => {
    expect(rows.map((r) => r.offset)).toEqual(["100", "101", "102", "103", "104"]);
    expect(rows[4]?.name).toBe(hostile[0]);
  });

  it("leaves the raw tables of the schema intact after the SQL-looking text", async () => {
    const { rows: tables } = await rawPool(env.config).query<{ n: string }>(
      "select count(*)::int as n from information_schema.tables where table_schema = $1 and table_name = 'sales_orders'",
      [env.schema],
    );
    expect(Number(tables[0]?.n)).toBe(1);
  });
});

describe("a Kafka timestamp outside years 0000–9999", () => {
  let env: IngestEnv;

  beforeAll(async () => {
    env = await createIngestEnv();
  });

  afterAll(async () => env?.cleanup());

  it("lands under the nearest partition date and loads with the record's own timestamp", async () => {
    // Prepare: a producer that set its record's CreateTime to the year 10000
    const timestamp = Date.UTC(10000, 0, 1, 12);
    const records = toMskEvent([
      {
        topic: "sales.orders",
        partition: 0,
        messages: [
          {
            key: Buffer.from(String(validOrder["Row ID"])),
            value: Buffer.from(JSON.stringify(validOrder)),
            timestamp: String(timestamp),
            attributes: 0,
            offset: "7",
            headers: {},
          },
        ],
      },
    ]).records["sales.orders-0"] as MskRecord[];

    // Act
    await landPartitionBatch(records, {
      s3: s3(),
      rawBucket: env.rawBucket,
      quarantineBucket: env.quarantineBucket,
    });
    const loaded = await loadAll(env.rawBucket);
    const objects = await listObjects(env.rawBucket, "raw/");
    const { rows } = await rawPool(env.config).query<{ ms: string }>(
      `select (extract(epoch from kafka_ts) * 1000)::bigint::text as ms from ${pgQualified(env.schema, "sales_orders")}`,
    );

    // Assess
    expect(objects.map((o) => o.key)).toEqual([expect.stringContaining("/dt=9999-12-31/hr=23/p=0/")]);
    expect(loaded).toEqual({ objects: 1, rowsInserted: 1 });
    expect(rows).toEqual([{ ms: String(timestamp) }]);
  });
});
