/**
 * Property-based fuzzing of record decoding and validation (fast-check): arbitrary bytes,
 * arbitrary JSON values, valid records of every dataset and mutations of them go through
 * `decodeMskRecord`. Whatever comes in, it never throws, and the result is either a canonical
 * record (which re-validates to itself and survives the JSON round trip to the lake) or a typed
 * RecordError with a known reason. 12,000 generated cases on a fixed seed, so CI is deterministic;
 * FUZZ_SEED=<n> explores other cases (a failure prints its seed and counterexample to replay, and
 * the counterexample then belongs in the test as an example).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { validOrder } from "../../test/fixtures/records.ts";
import { generateVoter } from "../datasets/elections/generator.ts";
import { datasets, findTopic, type TopicSpec } from "../datasets/index.ts";
import { Prng } from "../sources/prng.ts";
import { type DecodeResult, decodeMskRecord } from "./decode.ts";
import { RecordError } from "./errors.ts";
import type { MskRecord } from "./types.ts";

const REASONS = new Set([
  "unknown-topic",
  "oversized",
  "missing-key",
  "invalid-utf8",
  "invalid-json",
  "schema-violation",
  "unsupported-character",
]);
const MAX_RECORD_BYTES = 4096;
const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 20261122;
const specs: readonly TopicSpec[] = datasets.flatMap((d) => d.topics);
const topics = specs.map((s) => s.topic);

function mskRecord(topic: string, value: Uint8Array, key: string | undefined): MskRecord {
  const record: MskRecord = {
    topic,
    partition: 0,
    offset: 7,
    timestamp: 1_762_178_700_000,
    timestampType: "CREATE_TIME",
    value: Buffer.from(value).toString("base64"),
    headers: [],
  };
  if (key !== undefined) record.key = Buffer.from(key).toString("base64");
  return record;
}

function specOf(topic: string): TopicSpec {
  const owner = findTopic(topic);
  if (!owner) throw new Error(`no dataset owns ${topic}`);
  return owner.spec;
}

/** The invariant every decode result must satisfy. */
function assertWellFormed(input: MskRecord, result: DecodeResult): void {
  if (result.ok) {
    const spec = specOf(input.topic);
    const { value } = result.record;
    // Canonical: validating it again gives it back, and so does the lake's JSON round trip.
    expect(spec.schema.parse(value)).toEqual(value);
    const landed = JSON.parse(JSON.stringify(value));
    expect(JSON.stringify(spec.schema.parse(landed))).toBe(JSON.stringify(value));
    expect(result.record.key.length).toBeGreaterThan(0);
    expect(result.record.topic).toBe(input.topic);
    return;
  }
  expect(result.error).toBeInstanceOf(RecordError);
  expect(REASONS.has(result.error.reason)).toBe(true);
  expect(result.error.name).toBe(result.error.constructor.name);
  expect(typeof result.error.message).toBe("string");
  // The original bytes are kept, for the quarantine line.
  expect(result.bytes.toString("base64")).toBe(Buffer.from(input.value, "base64").toString("base64"));
}

function decodeChecked(input: MskRecord): DecodeResult {
  let result: DecodeResult | undefined;
  expect(() => {
    result = decodeMskRecord(input, { maxRecordBytes: MAX_RECORD_BYTES });
  }).not.toThrow();
  assertWellFormed(input, result as DecodeResult);
  return result as DecodeResult;
}

const topicArb = fc.oneof(
  { weight: 9, arbitrary: fc.constantFrom(...topics) },
  { weight: 1, arbitrary: fc.string() },
);
const keyArb = fc.option(fc.string({ maxLength: 40 }), { nil: undefined, freq: 10 });
const isoTime = fc
  .date({ min: new Date("0001-01-01T00:00:00Z"), max: new Date("9999-12-31T23:59:59Z"), noInvalidDate: true })
  .map((d) => d.toISOString());
const text = (minLength: number, maxLength: number) => fc.string({ unit: "binary", minLength, maxLength });

/** A valid record of each topic, its strings drawn from all of Unicode (NUL included). */
const validRecords: Record<string, fc.Arbitrary<Record<string, unknown>>> = {
  "elections.votes": fc.record({
    voter_id: fc.uuid({ version: 4 }),
    candidate_id: text(1, 64),
    voting_time: isoTime,
    state: text(1, 100),
    vote: fc.constant(1),
  }),
  "elections.candidates": fc.record(
    {
      candidate_id: text(1, 64),
      candidate_name: text(1, 200),
      party: text(1, 200),
      biography: text(0, 2000),
      photo_url: fc.webUrl(),
    },
    { requiredKeys: ["candidate_id", "candidate_name", "party"] },
  ),
  "elections.voters": fc
    .integer({ min: 1 })
    .map((seed) => generateVoter(new Prng(seed), Date.UTC(2026, 10, 3))),
  "sales.orders": fc
    .record({
      "Row ID": fc.integer({ min: 1, max: 2 ** 31 }),
      "Customer Name": text(1, 300),
      "Product Name": text(1, 300),
      "Postal Code": fc.oneof(fc.string({ maxLength: 10 }), fc.integer({ min: 0, max: 99999 })),
      "Order Date": isoTime.map((t) => t.slice(0, 10)),
      Sales: fc.double({ noNaN: true, noDefaultInfinity: true }),
      Quantity: fc.integer(),
      Discount: fc.double({ min: 0, max: 1, noNaN: true }),
    })
    .map((fields) => ({ ...validOrder, ...fields })),
  "stocks.prices": fc.record(
    {
      symbol: fc.stringMatching(/^[A-Z][A-Z0-9.-]{0,9}$/),
      ts: isoTime,
      price: fc.double({ min: Number.MIN_VALUE, max: 1e15, noNaN: true }),
      volume: fc.nat(),
      source: fc.constantFrom("monthly-csv", "generator", "api"),
    },
    { requiredKeys: ["symbol", "ts", "price"] },
  ),
};
const validArb = fc
  .constantFrom(...topics)
  .chain((topic) =>
    (validRecords[topic] as fc.Arbitrary<Record<string, unknown>>).map((value) => ({ topic, value })),
  );

const hasNul = (value: unknown): boolean => JSON.stringify(value).includes("\\u0000");

describe("decodeMskRecord under fuzzing", () => {
  it("never throws on arbitrary bytes, keys and topics (3,000 cases)", () => {
    fc.assert(
      fc.property(topicArb, fc.uint8Array({ maxLength: 600 }), keyArb, (topic, bytes, key) => {
        decodeChecked(mskRecord(topic, bytes, key));
      }),
      { numRuns: 3000, seed },
    );
  });

  it("never throws on arbitrary JSON values, and rejects what the schema doesn't accept (3,000 cases)", () => {
    fc.assert(
      fc.property(fc.constantFrom(...topics), fc.jsonValue({ maxDepth: 4 }), (topic, json) => {
        const result = decodeChecked(mskRecord(topic, Buffer.from(JSON.stringify(json) ?? "null"), "k"));
        const accepted = specOf(topic).schema.safeParse(json).success;
        if (!accepted) expect(result.ok || result.error.reason).toBe("schema-violation");
      }),
      { numRuns: 3000, seed },
    );
  });

  it("accepts every valid record of every dataset, refusing only NUL and oversized ones (2,000 cases)", () => {
    fc.assert(
      fc.property(validArb, ({ topic, value }) => {
        const bytes = Buffer.from(JSON.stringify(value));
        const result = decodeChecked(mskRecord(topic, bytes, "key-1"));
        const expected =
          bytes.length > MAX_RECORD_BYTES ? "oversized" : hasNul(value) ? "unsupported-character" : "ok";
        expect(result.ok ? "ok" : result.error.reason).toBe(expected);
      }),
      { numRuns: 2000, seed },
    );
  });

  it("handles mutated valid records: dropped, replaced and added fields, hostile strings (3,000 cases)", () => {
    const hostile = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.constantFrom(
        "'; drop table raw.elections_votes; --",
        "\u0000",
        "\uFEFF",
        "\uD800",
        "x".repeat(5000),
        "9999-99-99T99:99:99Z",
        "2026-02-30T00:00:00Z",
        "+275760-09-13T00:00:00.000Z",
        "",
        -0,
        Number.MAX_SAFE_INTEGER + 2,
        1e308,
      ),
    );
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant("drop" as const), index: fc.nat() }),
      fc.record({ kind: fc.constant("replace" as const), index: fc.nat(), value: hostile }),
      fc.record({
        kind: fc.constant("add" as const),
        name: fc.oneof(fc.string(), fc.constantFrom("__proto__", "constructor")),
        value: hostile,
      }),
    );
    fc.assert(
      fc.property(
        validArb,
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        ({ topic, value }, mutations) => {
          const mutated: Record<string, unknown> = { ...value };
          for (const m of mutations) {
            const names = Object.keys(mutated);
            if (m.kind === "add")
              Object.defineProperty(mutated, m.name, {
                value: m.value,
                enumerable: true,
                writable: true,
                configurable: true,
              });
            else if (names.length > 0) {
              const name = names[m.index % names.length] as string;
              if (m.kind === "drop") delete mutated[name];
              else mutated[name] = m.value;
            }
          }
          decodeChecked(mskRecord(topic, Buffer.from(JSON.stringify(mutated)), "key-1"));
        },
      ),
      { numRuns: 3000, seed },
    );
  });

  it("never throws when a valid record's bytes are corrupted (1,000 cases)", () => {
    fc.assert(
      fc.property(
        validArb,
        fc.array(fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }), {
          minLength: 1,
          maxLength: 4,
        }),
        ({ topic, value }, flips) => {
          const bytes = Buffer.from(JSON.stringify(value));
          for (const { at, byte } of flips) bytes[at % bytes.length] = byte;
          decodeChecked(mskRecord(topic, bytes, "key-1"));
        },
      ),
      { numRuns: 1000, seed },
    );
  });
});
