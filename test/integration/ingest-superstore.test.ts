/**
 * Superstore end to end: all 9,994 rows of the real file reach raw.sales_orders with their
 * values intact — SQL sums of Sales, Profit and Quantity and the row count equal the sums
 * computed here from the CSV file itself (exact decimal arithmetic on the file's text).
 */
import { createReadStream } from "node:fs";
import { parse } from "csv-parse";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sales } from "../../core/datasets/sales/index.ts";
import { SUPERSTORE_ROWS, superstorePath, superstoreSource } from "../../core/datasets/sales/source.ts";
import { createKafka } from "../../core/kafka/client.ts";
import { toMskEvents } from "../../core/msk-event/index.ts";
import { ensureDatasetTopics, produceDataset } from "../../core/producer/produce-dataset.ts";
import { pgQualified } from "../../core/warehouse/index.ts";
import { diffRawTable } from "./ingest-expected.ts";
import {
  consumeRange,
  createIngestEnv,
  highWatermarks,
  type IngestEnv,
  landAll,
  loadAll,
  rawPool,
} from "./ingest-helpers.ts";

const SCALE = 6;

/** A decimal string as an integer number of 10^-SCALE units (exact, unlike floats). */
function toUnits(decimal: string): bigint {
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(decimal.trim());
  if (!match) throw new Error(`not a plain decimal: "${decimal}"`);
  const [, sign, whole, fraction = ""] = match;
  if (fraction.replace(/0+$/, "").length > SCALE) throw new Error(`more than ${SCALE} decimals: ${decimal}`);
  const units =
    BigInt(whole as string) * 10n ** BigInt(SCALE) +
    BigInt(fraction.padEnd(SCALE, "0").slice(0, SCALE) || "0");
  return sign === "-" ? -units : units;
}

async function fileRows(): Promise<Record<string, string>[]> {
  const rows: Record<string, string>[] = [];
  for await (const row of createReadStream(superstorePath()).pipe(parse({ columns: true, bom: true })))
    rows.push(row);
  return rows;
}

describe("superstore: every row of the file reaches the raw table unchanged", () => {
  let env: IngestEnv;
  let rows: Record<string, string>[];

  beforeAll(async () => {
    // Prepare
    env = await createIngestEnv();
    rows = await fileRows();
    await ensureDatasetTopics(env.config, sales);
    const admin = createKafka(env.config.kafka, "-it-admin").admin();
    await admin.connect();
    const from = await highWatermarks(admin, ["sales.orders"]);
    await produceDataset(env.config, sales, superstoreSource());
    const to = await highWatermarks(admin, ["sales.orders"]);
    await admin.disconnect();

    // Act
    const consumed = await consumeRange(env.config, from, to);
    await landAll(toMskEvents(consumed));
    await loadAll(env.rawBucket);
  });

  afterAll(async () => env?.cleanup());

  it("has the file's row count and its exact sums of Sales, Profit and Quantity", async () => {
    // Assess
    const sum = (column: string) => rows.reduce((total, r) => total + toUnits(r[column] as string), 0n);
    const { rows: sql } = await rawPool(env.config).query<Record<string, string>>(`
      select count(*)::text as rows, count(distinct record_key)::text as keys,
             sum((payload->>'Sales')::numeric)::text as sales,
             sum((payload->>'Profit')::numeric)::text as profit,
             sum((payload->>'Quantity')::numeric)::text as quantity
      from ${pgQualified(env.schema, "sales_orders")}`);
    const result = sql[0] as Record<string, string>;
    expect(rows).toHaveLength(SUPERSTORE_ROWS);
    expect(Number(result.rows)).toBe(SUPERSTORE_ROWS);
    expect(Number(result.keys)).toBe(SUPERSTORE_ROWS);
    expect(toUnits(result.sales as string)).toBe(sum("Sales"));
    expect(toUnits(result.profit as string)).toBe(sum("Profit"));
    expect(toUnits(result.quantity as string)).toBe(sum("Quantity"));
  });

  it("stores each row as the schema's canonical form of the file's row", async () => {
    const spec = sales.topics[0];
    if (!spec) throw new Error("sales declares no topic");
    const expected = rows.map((r) => {
      const value = spec.schema.parse(r);
      return { key: spec.key(value), value };
    });
    const diff = await diffRawTable(rawPool(env.config), pgQualified(env.schema, spec.rawTable), expected);
    expect(diff).toEqual({ rows: SUPERSTORE_ROWS, missing: 0, unexpected: 0 });
  });
});
