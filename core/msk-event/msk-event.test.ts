import type { KafkaMessage } from "kafkajs";
import { describe, expect, it } from "vitest";
import { validVote } from "../../test/fixtures/records.ts";
import { toMskEvent, toMskEvents } from "./build.ts";
import { decodeMskRecord } from "./decode.ts";
import {
  InvalidJsonError,
  InvalidUtf8Error,
  MissingKeyError,
  OversizedRecordError,
  SchemaViolationError,
  UnknownTopicError,
  UnsupportedCharacterError,
} from "./errors.ts";
import { parseMskEvent } from "./parse.ts";
import type { MskRecord } from "./types.ts";

function message(key: string | null, value: Buffer | string, offset = "41"): KafkaMessage {
  return {
    key: key === null ? null : Buffer.from(key),
    value: Buffer.isBuffer(value) ? value : Buffer.from(value),
    timestamp: "1762178700000",
    attributes: 0,
    offset,
    headers: { "schema-version": Buffer.from("1"), source: "generator", multi: ["a", Buffer.from("b")] },
  };
}

function record(
  value: Buffer | string,
  key: string | null = validVote.voter_id,
  topic = "elections.votes",
): MskRecord {
  const event = toMskEvent([{ topic, partition: 0, messages: [message(key, value)] }]);
  return event.records[`${topic}-0`]?.[0] as MskRecord;
}

describe("toMskEvent", () => {
  it("builds Lambda's MSK event shape", () => {
    // Act
    const event = toMskEvent([
      {
        topic: "elections.votes",
        partition: 2,
        messages: [message("k", "{}", "7"), message(null, "{}", "8")],
      },
      { topic: "elections.votes", partition: 0, messages: [] },
    ]);
    // Assess
    expect(event.eventSource).toBe("aws:kafka");
    expect(event.eventSourceArn).toMatch(/^arn:aws:kafka:/);
    expect(Object.keys(event.records)).toEqual(["elections.votes-2"]);
    const [first, second] = event.records["elections.votes-2"] ?? [];
    expect(first).toEqual({
      topic: "elections.votes",
      partition: 2,
      offset: 7,
      timestamp: 1762178700000,
      timestampType: "CREATE_TIME",
      key: Buffer.from("k").toString("base64"),
      value: Buffer.from("{}").toString("base64"),
      headers: [
        { "schema-version": [49] },
        { source: [...Buffer.from("generator")] },
        { multi: [97] },
        { multi: [98] },
      ],
    });
    expect(second && "key" in second).toBe(false);
  });
});

describe("decodeMskRecord", () => {
  it("returns the canonical record of a valid value", () => {
    // Act
    const result = decodeMskRecord(record(JSON.stringify({ ...validVote, vote: undefined })));
    // Assess
    expect(result).toEqual({
      ok: true,
      record: {
        topic: "elections.votes",
        partition: 0,
        offset: 41,
        timestamp: 1762178700000,
        key: validVote.voter_id,
        value: validVote, // the schema's default filled `vote: 1` back in
      },
    });
  });

  const cases: [string, MskRecord, new (...args: never[]) => Error, string][] = [
    ["unknown topic", record("{}", "k", "no.such.topic"), UnknownTopicError, "unknown-topic"],
    ["missing key", record(JSON.stringify(validVote), null), MissingKeyError, "missing-key"],
    [
      "invalid UTF-8",
      record(Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d])),
      InvalidUtf8Error,
      "invalid-utf8",
    ],
    ["broken JSON", record('{"voter_id": '), InvalidJsonError, "invalid-json"],
    [
      "schema violation",
      record(JSON.stringify({ ...validVote, voter_id: "nope" })),
      SchemaViolationError,
      "schema-violation",
    ],
    [
      "wrong type",
      record(JSON.stringify({ ...validVote, vote: "1" })),
      SchemaViolationError,
      "schema-violation",
    ],
    ["a JSON string", record('"just text"'), SchemaViolationError, "schema-violation"],
    [
      "NUL character",
      record(JSON.stringify({ ...validVote, state: "O\u0000hio" })),
      UnsupportedCharacterError,
      "unsupported-character",
    ],
  ];
  it.each(cases)("rejects %s with a typed error", (_name, input, type, reason) => {
    // Act
    const result = decodeMskRecord(input);
    // Assess
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toBeInstanceOf(type);
    expect(result.error.reason).toBe(reason);
    expect(result.error.name).toBe(type.name);
  });

  it("refuses a record larger than the configured maximum", () => {
    // Prepare
    const big = record(JSON.stringify({ ...validVote, state: "x".repeat(2000) }));
    // Act
    const result = decodeMskRecord(big, { maxRecordBytes: 1000 });
    // Assess
    expect(result.ok || result.error).toBeInstanceOf(OversizedRecordError);
  });

  it("keeps the zod issues of a schema violation", () => {
    const result = decodeMskRecord(record(JSON.stringify({ ...validVote, state: 5 })));
    expect(result.ok || (result.error as SchemaViolationError).issues.map((i) => i.path)).toEqual([
      ["state"],
    ]);
  });

  it("keeps the original bytes and key of a bad record", () => {
    const bytes = Buffer.from([0xff, 0xfe]);
    const result = decodeMskRecord(record(bytes, "the-key"));
    expect(result.ok || [result.bytes, result.key]).toEqual([bytes, "the-key"]);
  });
});

describe("toMskEvents", () => {
  it("cuts batches at Lambda's record limit, keeping each partition's order", () => {
    // Prepare
    const messages = (n: number) => Array.from({ length: n }, (_, i) => message("k", "{}", String(i)));
    const batches = [
      { topic: "t", partition: 0, messages: messages(5) },
      { topic: "t", partition: 1, messages: messages(4) },
    ];
    // Act
    const events = toMskEvents(batches, { maxRecords: 4, maxBytes: 1_000_000 });
    // Assess
    const shape = events.map((e) =>
      Object.fromEntries(Object.entries(e.records).map(([k, rs]) => [k, rs.map((r) => r.offset)])),
    );
    expect(shape).toEqual([{ "t-0": [0, 1, 2, 3] }, { "t-0": [4], "t-1": [0, 1, 2] }, { "t-1": [3] }]);
  });

  it("cuts at the byte limit of the event's exact JSON, each event as full as the limit allows", () => {
    // Prepare: multi-byte UTF-8 values and headers (sent as byte arrays), over two partitions.
    const messages = Array.from({ length: 6 }, (_, i) => message("k", `"${"é".repeat(100 + i)}"`, String(i)));
    const batches = [
      { topic: "t", partition: 0, messages },
      { topic: "t", partition: 1, messages },
    ];
    const limits = { maxRecords: 100, maxBytes: 2_000 };
    // Act
    const events = toMskEvents(batches, limits);
    // Assess: the events cut the records in order; each fits, and one more record would not
    const singles = batches.flatMap((b) => b.messages.map((m) => ({ ...b, messages: [m] })));
    const bytes = (from: number, to: number) =>
      Buffer.byteLength(JSON.stringify(toMskEvent(singles.slice(from, to))), "utf8");
    expect(events.length).toBeGreaterThan(2);
    let from = 0;
    for (const event of events) {
      const to = from + Object.values(event.records).flat().length;
      expect(Buffer.byteLength(JSON.stringify(event), "utf8")).toBe(bytes(from, to));
      expect(bytes(from, to)).toBeLessThanOrEqual(limits.maxBytes);
      if (to < singles.length) expect(bytes(from, to + 1)).toBeGreaterThan(limits.maxBytes);
      from = to;
    }
    expect(from).toBe(12);
  });
});

describe("parseMskEvent", () => {
  class WiringError extends Error {}

  it("hands on an MSK event as it came (the records themselves are decoded one by one later)", () => {
    const event = toMskEvent([
      { topic: "elections.votes", partition: 0, messages: [message("v-1", JSON.stringify(validVote))] },
    ]);
    expect(parseMskEvent(event, WiringError)).toBe(event);
  });

  it("refuses what is not an MSK event with the caller's error, naming the first problem", () => {
    expect(() => parseMskEvent({ Records: [] }, WiringError)).toThrow(WiringError);
    expect(() => parseMskEvent({ eventSource: "aws:s3", records: {} }, WiringError)).toThrow(
      /not an MSK event/,
    );
  });
});
