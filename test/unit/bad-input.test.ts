/**
 * The bad-input catalogue (docs/BAD-INPUT.md), for the rows no other test covered, at each
 * place input enters: the producer's validation (`toMessage`, used by `pipeline produce` and
 * by file-to-topic for every parsed row), file-to-topic's row parsing (`readRows`) and
 * land-records' decoding (`decodeMskRecord`) and object keys (`batchObjectKey`).
 * `it.fails` would mark a known gap: the expectation is the right behaviour, which the code
 * does not have yet (remove `.fails` with the fix). None is left.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generateVoter } from "../../core/datasets/elections/generator.ts";
import { elections } from "../../core/datasets/elections/index.ts";
import type { Dataset, TopicSpec } from "../../core/datasets/index.ts";
import { sales } from "../../core/datasets/sales/index.ts";
import { stocks } from "../../core/datasets/stocks/index.ts";
import { batchObjectKey, parseBatchKey } from "../../core/lake/index.ts";
import {
  type DecodeResult,
  decodeMskRecord,
  type MskRecord,
  toMskEvent,
} from "../../core/msk-event/index.ts";
import { toMessage } from "../../core/producer/validate.ts";
import { readCsvFile } from "../../core/sources/csv-file.ts";
import { Prng } from "../../core/sources/prng.ts";
import { readRows } from "../../core/sources/rows.ts";
import { validOrder, validVote } from "../fixtures/records.ts";

const spec = (dataset: Dataset, entity: string) =>
  dataset.topics.find((t) => t.entity === entity) as TopicSpec;
const votes = spec(elections, "votes");
const candidates = spec(elections, "candidates");
const orders = spec(sales, "orders");
const prices = spec(stocks, "prices");

/** What land-records decides for one value (keyed by the sample voter id). */
function landing(value: string | Buffer, topic = "elections.votes"): DecodeResult {
  const event = toMskEvent([
    {
      topic,
      partition: 0,
      messages: [
        {
          key: Buffer.from(validVote.voter_id),
          value: Buffer.isBuffer(value) ? value : Buffer.from(value),
          timestamp: "1762178700000",
          attributes: 0,
          offset: "5",
          headers: {},
        },
      ],
    },
  ]);
  return decodeMskRecord(event.records[`${topic}-0`]?.[0] as MskRecord);
}
const outcome = (r: DecodeResult) => (r.ok ? "ok" : r.error.reason);

/** What file-to-topic does with each row of an uploaded file: quarantine (why) or produce (what). */
async function fileRows(format: "csv" | "ndjson", data: string | Buffer, topic: TopicSpec) {
  const out: { line: number; produced?: unknown; quarantined?: string }[] = [];
  async function* one() {
    yield typeof data === "string" ? Buffer.from(data) : data;
  }
  for await (const row of readRows(format, one())) {
    if (row.error !== undefined) {
      out.push({ line: row.line, quarantined: row.error });
      continue;
    }
    const message = toMessage(topic, row.value);
    out.push(
      message.ok
        ? { line: row.line, produced: JSON.parse(message.value) }
        : { line: row.line, quarantined: message.reason },
    );
  }
  return out;
}

describe("bad input at the producer (toMessage)", () => {
  it("accepts boundary lengths and refuses one past them", () => {
    const candidate = (id: string) => ({ candidate_id: id, candidate_name: "A", party: "B" });
    expect(toMessage(candidates, candidate("x".repeat(64))).ok).toBe(true);
    expect(toMessage(candidates, candidate("x".repeat(65)))).toMatchObject({ reason: /^candidate_id: / });
    expect(toMessage(candidates, candidate(""))).toMatchObject({ reason: /^candidate_id: / });
    expect(toMessage(candidates, { ...candidate("c"), biography: "b".repeat(2001) })).toMatchObject({
      reason: /^biography: /,
    });
  });

  it("refuses out-of-range numbers: Row ID 0, Discount above 1, a fractional Quantity, Infinity", () => {
    for (const [field, value] of [
      ["Row ID", "0"],
      ["Discount", "1.01"],
      ["Quantity", "2.5"],
      ["Sales", "Infinity"],
      ["Row ID", "9007199254740993"],
    ] as const) {
      expect(toMessage(orders, { ...validOrder, [field]: value }), field).toMatchObject({
        ok: false,
        reason: new RegExp(`^${field}: `),
      });
    }
    expect(toMessage(prices, { symbol: "IBM", ts: "2000-01-01T00:00:00Z", price: 0 })).toMatchObject({
      reason: /^price: /,
    });
  });

  it("refuses an empty Sales cell (an empty cell is missing, not 0)", () => {
    expect(toMessage(orders, { ...validOrder, Sales: "" }).ok).toBe(false);
  });

  it("refuses malformed and out-of-range timestamps, accepts the extremes of ISO 8601", () => {
    const at = (voting_time: string) => toMessage(votes, { ...validVote, voting_time }).ok;
    for (const bad of [
      "2026-11-03 14:05:00",
      "2026-11-03T14:05:00",
      "2026-02-30T00:00:00Z",
      "2026-11-03T25:00:00Z",
      "2026-11-03T14:05:00+25:00",
      "+275760-09-13T00:00:00.000Z",
      "1762178700000",
    ])
      expect(at(bad), bad).toBe(false);
    for (const good of [
      "2024-02-29T00:00:00Z",
      "0000-01-01T00:00:00Z",
      "9999-12-31T23:59:59.999Z",
      "2026-11-03T14:05:00+14:00",
    ])
      expect(at(good), good).toBe(true);
    expect(toMessage(orders, { ...validOrder, "Order Date": "11/8/2016" })).toMatchObject({
      reason: /^Order Date: /,
    });
  });

  it("refuses a stocks date that doesn't exist (Feb 30 is not rolled over to Mar 1)", () => {
    expect(toMessage(prices, { symbol: "IBM", date: "Feb 30 2000", price: "1" }).ok).toBe(false);
  });

  it("sends SQL-looking text, NUL and very long strings as data, unchanged", () => {
    // Prepare
    const sql = "'); drop table raw.elections_votes; --";
    // Act
    const withSql = toMessage(votes, { ...validVote, state: sql });
    const withNul = toMessage(votes, { ...validVote, state: "O\u0000hio" });
    const long = toMessage(orders, { ...validOrder, "Product Name": "p".repeat(100_000) });
    // Assess: NUL is refused later, by land-records (unsupported-character): see below.
    expect(withSql.ok && JSON.parse(withSql.value).state).toBe(sql);
    expect(withNul.ok && JSON.parse(withNul.value).state).toBe("O\u0000hio");
    expect(long.ok && JSON.parse(long.value)["Product Name"]).toHaveLength(100_000);
  });

  it("sends a lone UTF-16 surrogate as the JSON escape \\ud800: the bytes are always valid UTF-8", () => {
    const message = toMessage(votes, { ...validVote, state: "O\uD800hio" });
    const bytes = Buffer.from(message.ok ? message.value : "");
    expect(new TextDecoder("utf-8", { fatal: true }).decode(bytes)).toContain('"O\\ud800hio"');
  });

  it("keys duplicate records alike, so they share a partition (staging keeps the first)", () => {
    const first = toMessage(votes, validVote);
    const again = toMessage(votes, { ...validVote, candidate_id: "cand-2" });
    expect(first.ok && again.ok && [first.key, again.key]).toEqual([validVote.voter_id, validVote.voter_id]);
  });

  it("reads a shipped CSV with a byte-order mark by its header; refuses one with a stray quote, naming the line", async () => {
    // Prepare: files shaped like vega-datasets' stocks.csv
    const dir = mkdtempSync(join(tmpdir(), "bad-input-"));
    const withBom = join(dir, "bom.csv");
    const strayQuote = join(dir, "quote.csv");
    writeFileSync(withBom, "\ufeffsymbol,date,price\r\nMSFT,Jan 1 2000,39.81\r\n");
    writeFileSync(strayQuote, 'symbol,date,price\nMSFT,Jan 1 2000,39.81\n"MS"FT,Feb 1 2000,36.35\n');
    const read = async (path: string) => {
      const rows: Record<string, string>[] = [];
      for await (const row of readCsvFile(path)) rows.push(row);
      return rows;
    };

    try {
      // Act
      const rows = await read(withBom);
      const refused = read(strayQuote);

      // Assess: the BOM is not part of the first column's name, and the row validates
      expect(rows).toEqual([{ symbol: "MSFT", date: "Jan 1 2000", price: "39.81" }]);
      expect(toMessage(prices, rows[0]).ok).toBe(true);
      // A shipped file is trusted to be well formed: a broken one stops the producer loudly.
      await expect(refused).rejects.toThrow(/Invalid Closing Quote.*line 3/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("bad input in an uploaded file (file-to-topic: readRows → toMessage)", () => {
  it("takes the last value of a duplicated JSON key, as JSON.parse does", async () => {
    const line = `{"voter_id":"${validVote.voter_id}","candidate_id":"cand-1","voting_time":"${validVote.voting_time}","state":"Ohio","state":"Texas"}\n`;
    expect(await fileRows("ndjson", line, votes)).toEqual([
      { line: 1, produced: { ...validVote, state: "Texas" } },
    ]);
  });

  it("quarantines an invalid UTF-8 CSV line and goes on with the next", async () => {
    const data = Buffer.concat([
      Buffer.from("\ufeffcandidate_id,candidate_name,party\n"),
      Buffer.from([0x63, 0x31, 0x2c, 0xff, 0xfe, 0x2c, 0x50, 0x0a]),
      Buffer.from("c2,Bo,P\n"),
    ]);
    expect(await fileRows("csv", data, candidates)).toEqual([
      { line: 2, quarantined: "invalid UTF-8" },
      { line: 3, produced: { candidate_id: "c2", candidate_name: "Bo", party: "P" } },
    ]);
  });

  it("produces SQL-looking text, NUL and a formula-looking cell verbatim; refuses an empty required cell", async () => {
    const csv =
      'candidate_id,candidate_name,party\nc1,"Robert\'); drop table raw.x;--",=1+2\nc2,Ann\u0000,P\nc3,,P\n';
    expect(await fileRows("csv", csv, candidates)).toEqual([
      {
        line: 2,
        produced: { candidate_id: "c1", candidate_name: "Robert'); drop table raw.x;--", party: "=1+2" },
      },
      { line: 3, produced: { candidate_id: "c2", candidate_name: "Ann\u0000", party: "P" } },
      { line: 4, quarantined: expect.stringMatching(/^candidate_name: /) },
    ]);
  });

  it("produces a duplicated row twice under the same key, so both land in one partition", async () => {
    // Prepare: the same order line twice, as a re-exported file would carry it
    const line = `${JSON.stringify(validOrder)}\n`;

    // Act
    const rows = await fileRows("ndjson", line + line, orders);
    const keys = rows.map((r) => toMessage(orders, r.produced)).map((m) => m.ok && m.key);

    // Assess: nothing dropped here; staging dedupes by Row ID (DB test_replayed_row_id_is_counted_once)
    expect(rows.map((r) => r.quarantined)).toEqual([undefined, undefined]);
    expect(keys).toEqual([String(validOrder["Row ID"]), String(validOrder["Row ID"])]);
  });

  it("produces boundary lengths from a file and quarantines one past them, with the line", async () => {
    // Prepare
    const csv = `candidate_id,candidate_name,party\n${"x".repeat(64)},A,B\n${"y".repeat(65)},A,B\n,A,B\n`;

    // Act
    const rows = await fileRows("csv", csv, candidates);

    // Assess
    expect(rows.map((r) => [r.line, r.produced ? "produced" : r.quarantined?.split(":")[0]])).toEqual([
      [2, "produced"],
      [3, "candidate_id"],
      [4, "candidate_id"],
    ]);
  });

  it("quarantines an NDJSON line that is a JSON value but not an object", async () => {
    const rows = await fileRows("ndjson", '[1,2]\nnull\n"text"\n42\n', votes);
    expect(rows.map((r) => [r.line, r.quarantined?.split(":")[0]])).toEqual([
      [1, "(record)"],
      [2, "(record)"],
      [3, "(record)"],
      [4, "(record)"],
    ]);
  });
});

describe("bad input at land-records (decodeMskRecord, batchObjectKey)", () => {
  it("takes the last value of a duplicated JSON key", () => {
    const result = landing(`${JSON.stringify(validVote).slice(0, -1)},"state":"Texas"}`);
    expect(result.ok && result.record.value).toEqual({ ...validVote, state: "Texas" });
  });

  it("refuses boundary-breaking and malformed values as schema violations, accepts the boundaries", () => {
    expect(outcome(landing(JSON.stringify({ ...validVote, candidate_id: "x".repeat(64) })))).toBe("ok");
    expect(outcome(landing(JSON.stringify({ ...validVote, candidate_id: "x".repeat(65) })))).toBe(
      "schema-violation",
    );
    expect(outcome(landing(JSON.stringify({ ...validVote, state: "" })))).toBe("schema-violation");
    expect(outcome(landing(JSON.stringify({ ...validVote, vote: 2 })))).toBe("schema-violation");
    expect(outcome(landing(JSON.stringify({ ...validVote, voting_time: "2026-02-30T00:00:00Z" })))).toBe(
      "schema-violation",
    );
    expect(
      outcome(landing(JSON.stringify({ ...validVote, voting_time: "+275760-09-13T00:00:00.000Z" }))),
    ).toBe("schema-violation");
  });

  it("lands SQL-looking text and a long string (under the size limit) verbatim", () => {
    const sql = "Ohio'); delete from raw.elections_votes; --";
    const withSql = landing(JSON.stringify({ ...validVote, state: sql }));
    const long = landing(JSON.stringify({ ...validVote, candidate_id: "c", state: "s".repeat(100) }));
    expect(withSql.ok && (withSql.record.value as { state: string }).state).toBe(sql);
    expect(outcome(long)).toBe("ok");
  });

  it("accepts a value starting with a byte-order mark (the UTF-8 decoder drops it)", () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    const result = landing(Buffer.concat([bom, Buffer.from(JSON.stringify(validVote))]));
    expect(result.ok && result.record.value).toEqual(validVote);
  });

  it("drops an unknown field with a NUL in its name (strict schema); quarantines it where fields are kept", () => {
    const withKey = (value: object) => `${JSON.stringify(value).slice(0, -1)},"x\\u0000":1}`;
    const vote = landing(withKey(validVote));
    expect(vote.ok && vote.record.value).toEqual(validVote);
    const voter = generateVoter(new Prng(1), Date.UTC(2026, 10, 3));
    expect(outcome(landing(withKey(voter), "elections.voters"))).toBe("unsupported-character");
  });

  it("quarantines a lone UTF-16 surrogate escape, which jsonb refuses (it would fail the whole object's load)", () => {
    // Valid UTF-8 bytes and valid JSON, but PostgreSQL: "invalid input syntax for type json".
    expect(outcome(landing(`${JSON.stringify(validVote).slice(0, -1)},"state":"O\\ud800hio"}`))).toBe(
      "unsupported-character",
    );
  });

  it("files a record with Kafka timestamp −1 under 1969-12-31, and fails the batch on an invalid one", () => {
    const at = (ms: number) =>
      batchObjectKey({
        area: "raw",
        dataset: "elections",
        entity: "votes",
        partition: 0,
        firstOffset: 1,
        lastOffset: 2,
        firstTimestampMs: ms,
      });
    expect(parseBatchKey(at(-1))).toMatchObject({ dt: "1969-12-31", hr: "23" });
    expect(() => at(Number.NaN)).toThrow(/invalid timestamp/);
  });

  it("files a record with a Kafka timestamp after year 9999 (or before year 0) under a key the loader can parse", () => {
    const at = (ms: number) =>
      batchObjectKey({
        area: "raw",
        dataset: "elections",
        entity: "votes",
        partition: 0,
        firstOffset: 1,
        lastOffset: 2,
        firstTimestampMs: ms,
      });
    expect(parseBatchKey(at(Date.UTC(10000, 0, 1)))).toMatchObject({ dt: "9999-12-31", hr: "23" });
    expect(parseBatchKey(at(8.64e15))).toMatchObject({ dt: "9999-12-31", hr: "23" });
    expect(() => at(8.64e15 + 1)).toThrow(/invalid timestamp/); // past any Date: like NaN
    expect(parseBatchKey(at(Date.parse("-000001-06-01T00:00:00Z")))).toMatchObject({
      dt: "0000-01-01",
      hr: "00",
    });
    expect(parseBatchKey(at(Date.parse("9999-12-31T23:30:00Z")))).toMatchObject({
      dt: "9999-12-31",
      hr: "23",
    });
  });
});
