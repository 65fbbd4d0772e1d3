import { describe, expect, it } from "vitest";
import { splitLines } from "./lines.ts";
import { formatOf, INCOMPLETE, parseCsvRecord, type Row, readRows } from "./rows.ts";

/** The text as a stream of small chunks, so lines straddle chunk boundaries. */
async function* chunked(data: string | Buffer, size = 7): AsyncGenerator<Uint8Array> {
  const bytes = typeof data === "string" ? Buffer.from(data) : data;
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function rows(format: "csv" | "ndjson", data: string | Buffer, options = {}): Promise<Row[]> {
  const out: Row[] = [];
  for await (const row of readRows(format, chunked(data), options)) out.push(row);
  return out;
}

describe("CSV records", () => {
  it("parses quoted fields with commas, escaped quotes and literal quotes in plain fields", () => {
    // Act / Assess
    expect(parseCsvRecord('1,"a, b","say ""hi""",5" screen,')).toEqual([
      "1",
      "a, b",
      'say "hi"',
      '5" screen',
      "",
    ]);
    expect(parseCsvRecord('1,"open')).toBe(INCOMPLETE);
    expect(parseCsvRecord('1,"bad"q,3')).toMatch(/after closing quote in field 2/);
  });

  it("strips a UTF-8 BOM and CRLF, keys rows by the header, numbers lines", async () => {
    // Act
    const result = await rows("csv", '\ufeffid,name\r\n1,Ann\r\n\r\n2,"Bo, Jr"\r\n');

    // Assess
    expect(result.map((r) => [r.line, r.value])).toEqual([
      [2, { id: "1", name: "Ann" }],
      [4, { id: "2", name: "Bo, Jr" }],
    ]);
  });

  it("reads a quoted field spanning lines as one record", async () => {
    // Act
    const result = await rows("csv", 'id,note\n1,"two\nlines"\n2,x\n');

    // Assess
    expect(result.map((r) => [r.line, r.value])).toEqual([
      [2, { id: "1", note: "two\nlines" }],
      [4, { id: "2", note: "x" }],
    ]);
  });

  it("costs a stray quote one row, never the rows after it", async () => {
    // Act
    const result = await rows("csv", 'id,name\n1,"bad"q\n2,"ok"""\n3,"never closed\n4,fine\n5,a,b\n');

    // Assess
    expect(result.map((r) => [r.line, r.value ?? r.error])).toEqual([
      [2, "unexpected character after closing quote in field 2"],
      [3, { id: "2", name: 'ok"' }],
      [4, "unterminated quoted field"],
      [5, { id: "4", name: "fine" }],
      [6, "expected 2 fields, found 3"],
    ]);
  });

  it("resumes from a row's nextByte with the header it was given", async () => {
    // Prepare
    const text = "\ufeffid,name\n1,Ann\n2,Bo\n3,Cy\n";
    const all = await rows("csv", text);
    const cut = all[0] as Row;

    // Act
    const rest = await rows("csv", Buffer.from(text).subarray(cut.nextByte), {
      startByte: cut.nextByte,
      startLine: cut.nextLine,
      header: ["id", "name"],
    });

    // Assess
    expect(rest).toEqual(all.slice(1));
  });
});

describe("NDJSON rows", () => {
  it("parses each line, reporting broken JSON and invalid UTF-8 per line", async () => {
    // Prepare
    const data = Buffer.concat([
      Buffer.from('{"a":1}\n{broken\n\n'),
      Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d, 0x0a]),
      Buffer.from('{"a":"é"}'),
    ]);

    // Act
    const result = await rows("ndjson", data);

    // Assess
    expect(result.map((r) => [r.line, r.value ?? r.error?.replace(/:.*/, "")])).toEqual([
      [1, { a: 1 }],
      [2, "invalid JSON"],
      [4, "invalid UTF-8"],
      [5, { a: "é" }],
    ]);
    expect(result.at(-1)?.nextByte).toBe(data.length);
  });

  it("reports an oversized line without buffering it and goes on", async () => {
    // Prepare
    const long = `{"a":"${"x".repeat(500)}"}`;

    // Act
    const result: Row[] = [];
    for await (const row of readRows("ndjson", chunked(`${long}\n{"b":2}\n`, 64), { maxLineBytes: 100 }))
      result.push(row);

    // Assess
    expect(result.map((r) => r.value ?? r.error)).toEqual(["line longer than 100 bytes", { b: 2 }]);
  });
});

describe("lines", () => {
  it("gives byte offsets that point at the next line", async () => {
    // Prepare
    const text = "ab\nçd\r\nlast";

    // Act
    const lines = [];
    for await (const line of splitLines(chunked(text, 2))) lines.push(line);

    // Assess
    expect(lines.map((l) => [l.number, l.text, l.nextByte])).toEqual([
      [1, "ab", 3],
      [2, "çd", 8],
      [3, "last", 12],
    ]);
  });

  it("knows the formats it reads by extension", () => {
    expect([formatOf("a/b.CSV"), formatOf("x.ndjson"), formatOf("x.jsonl"), formatOf("x.parquet")]).toEqual([
      "csv",
      "ndjson",
      "ndjson",
      undefined,
    ]);
  });
});
