import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import {
  kafkaTimestamp,
  type LeanRange,
  LeanRows,
  leanRow,
  memberSpans,
  NotLeanLineError,
} from "./raw-rows.ts";

const range: LeanRange = {
  topic: "elections.votes",
  partition: 2,
  firstOffset: 100n,
  lastOffset: 199n,
  sourceObject: "raw/elections/votes/dt=2024-11-05/hr=12/p=2/x.ndjson.gz",
};
const TS = 1_730_808_000_123;
const line = (fields: Record<string, unknown>) =>
  JSON.stringify({
    topic: "elections.votes",
    partition: 2,
    offset: 150,
    timestamp: TS,
    key: "v-1",
    ...fields,
  });
const row = (text: string) => leanRow(Buffer.from(text, "utf8"), range, range.sourceObject, 1);

describe("lean rows: a landed line as the raw table's columns", () => {
  it("takes the value's own text and the instant to_timestamp would store", () => {
    // Prepare: the value holds the characters that could confuse a member scanner
    const value = '{"s":"a\\"}{[,","n":[1,{"x":"]"}],"e":"é🗳️","b\\\\":true,"z":1.0e3}';
    const text = `{"topic":"elections.votes","partition":2,"offset":150,"timestamp":${TS},"key":"v-1","value":${value}}`;
    // Act
    const out = row(text);
    // Assess
    expect(out).toBe(
      `elections.votes\t2\t150\tv-1\t${value.replaceAll("\\", "\\\\")}\t2024-11-05T12:00:00.123Z\t${range.sourceObject}\n`,
    );
  });

  it("writes a null or missing key as NULL and escapes tabs, newlines and backslashes", () => {
    expect(row(line({ key: null, value: 1 })).split("\t")[3]).toBe("\\N");
    expect(row(line({ key: undefined, value: 1 })).split("\t")[3]).toBe("\\N");
    expect(
      row(line({ key: "a\tb\\c\nd\re", value: 1 }))
        .split("\t")
        .slice(3, 6),
    ).toEqual(["a\\tb\\\\c\\nd\\re", "1", "2024-11-05T12:00:00.123Z"]);
  });

  it("finds members in any order and with whitespace", () => {
    const text = ` { "value" : [ 1 , "}" ] , "key":"k" ,"offset":100,"partition":2,"timestamp":${TS},"topic":"elections.votes" } `;
    expect(row(text)).toBe(
      `elections.votes\t2\t100\tk\t[ 1 , "}" ]\t2024-11-05T12:00:00.123Z\t${range.sourceObject}\n`,
    );
    expect(memberSpans(text)?.get("value")).toEqual([text.indexOf("["), text.indexOf("]") + 1]);
  });

  it.each([
    ["an offset below the object's range", line({ offset: 99, value: 1 })],
    ["an offset above the object's range", line({ offset: 200, value: 1 })],
    ["another partition", line({ partition: 3, value: 1 })],
    ["another topic", line({ topic: "elections.voters", value: 1 })],
    ["no value", line({})],
    ["a member of no raw column", line({ value: 1, extra: 1 })],
    ["a member twice", line({ value: 1 }).replace('"key":"v-1"', '"key":"v-1","key":"v-2"')],
    ["an offset that is no plain integer", line({ value: 1 }).replace('"offset":150', '"offset":150.0')],
    ["a partition written as a string", line({ partition: "2", value: 1 })],
    ["a fractional timestamp", line({ timestamp: TS + 0.5, value: 1 })],
    ["a key that is no string", line({ key: 7, value: 1 })],
    ["a \\u0000 escape jsonb refuses", line({ value: "a\u0000b" })],
    ["a lone surrogate", line({ value: "\ud800" })],
    ["no JSON", "{not json"],
    ["no object", "[1,2]"],
    ["text after the object", `${line({ value: 1 })} x`],
  ])("refuses %s (the dedupe path decides)", (_what, text) => {
    expect(() => row(text)).toThrow(NotLeanLineError);
  });

  it("refuses bytes that are not UTF-8", () => {
    const bytes = Buffer.concat([
      Buffer.from(line({ value: "" }).slice(0, -3)),
      Buffer.from([0xff, 0x22, 0x7d]),
    ]);
    expect(() => leanRow(bytes, range, range.sourceObject, 1)).toThrow(NotLeanLineError);
  });

  it("counts every line as COPY did, empty ones and a last one without newline, across chunks", async () => {
    // Prepare: 3 lines, an empty one between, no final newline, cut into 7-byte chunks
    const text = `${line({ offset: 100, value: 1 })}\n\n${line({ offset: 101, value: 2 })}\n${line({ offset: 102, value: 3 })}`;
    const bytes = Buffer.from(text);
    const chunks = Array.from({ length: Math.ceil(bytes.length / 7) }, (_, i) =>
      bytes.subarray(i * 7, i * 7 + 7),
    );
    const rows = new LeanRows(range);
    // Act
    const out: Buffer[] = [];
    for await (const chunk of Readable.from(chunks).pipe(rows)) out.push(chunk as Buffer);
    // Assess
    expect({ lines: rows.lines, rows: rows.rows }).toEqual({ lines: 4, rows: 3 });
    expect(
      Buffer.concat(out)
        .toString()
        .split("\n")
        .map((r) => r.split("\t").slice(2, 5).join(" ")),
    ).toEqual(["100 v-1 1", "101 v-1 2", "102 v-1 3", ""]);
  });
});

describe("kafkaTimestamp", () => {
  it("is the millisecond when to_timestamp(ms / 1000) stores exactly it", () => {
    expect(kafkaTimestamp(0)).toBe("1970-01-01T00:00:00.000Z");
    expect(kafkaTimestamp(TS)).toBe("2024-11-05T12:00:00.123Z");
    expect(kafkaTimestamp(1_999_999_999_999)).toBe("2033-05-18T03:33:19.999Z");
  });

  it("is undefined where the double seconds could move the microsecond, or no integer", () => {
    expect(kafkaTimestamp(-1)).toBeUndefined();
    expect(kafkaTimestamp(1.5)).toBeUndefined();
    expect(kafkaTimestamp(9_999_999_999_999)).toBeUndefined();
  });
});
