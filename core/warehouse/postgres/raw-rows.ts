/**
 * The lean load path's row builder: the NDJSON lines of a landed object → COPY text rows of
 * its raw table's own columns (topic, partition, "offset", record_key, payload, kafka_ts,
 * source_object), so COPY writes the raw table directly, with no temp table and no
 * `insert … select`. Each column is what the dedupe path's `insert … select` derives from the
 * same line: `payload` is the line's own `value` text (never re-serialized, so numbers and
 * strings reach jsonb as written), `kafka_ts` the instant `to_timestamp(timestamp / 1000)`
 * computes.
 *
 * It takes only lines it can derive exactly, and only offsets of the object's own range (the
 * range the loader checked is free in the raw table). Any other line — not JSON, a field of
 * another type or spelling, an offset outside the range, another topic or partition, a text
 * PostgreSQL would refuse — fails the stream with {@link NotLeanLineError}, and the loader
 * loads the object through the dedupe path instead, which treats it exactly as before
 * (loads it, or fails the load). Empty lines are skipped, as there; every line is counted.
 */
import { isUtf8 } from "node:buffer";
import { Transform, type TransformCallback } from "node:stream";
import { WarehouseError } from "../errors.ts";

export interface LeanRange {
  readonly topic: string;
  readonly partition: number;
  readonly firstOffset: bigint;
  readonly lastOffset: bigint;
  /** The object's key, stored in every row's `source_object`. */
  readonly sourceObject: string;
}

/** The columns the rows fill, in order (ingested_at keeps its default). */
export const LEAN_COLUMNS = `(topic, partition, "offset", record_key, payload, kafka_ts, source_object)`;

/** A line the lean path cannot take as it is; the dedupe path loads the object instead. */
export class NotLeanLineError extends WarehouseError {}

const NEWLINE = 0x0a;
const FLUSH_CHARS = 256 * 1024;
const MEMBERS = new Set(["topic", "partition", "offset", "timestamp", "key", "value"]);
const DIGITS = /^\d{1,16}$/;
/** `\u0000` and surrogate escapes: JSON.parse takes them, jsonb and text may not. */
const RISKY_ESCAPE = /\\u(0000|[dD][89a-fA-F])/;
const COPY_SPECIAL = /[\\\t\n\r]/;
const COPY_SPECIALS = /[\\\t\n\r]/g;
const COPY_ESCAPES: Record<string, string> = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" };
/** Seconds from 1970-01-01 to PostgreSQL's epoch, 2000-01-01. */
const PG_EPOCH_SECONDS = 946_684_800;

/** The Transform; `lines` counts every line (the manifest's rows_in_object), `rows` those it emitted. */
export class LeanRows extends Transform {
  lines = 0;
  rows = 0;
  readonly #range: LeanRange;
  readonly #source: string;
  #rest: Buffer | undefined;
  #out = "";

  constructor(range: LeanRange) {
    super();
    this.#range = range;
    this.#source = copyText(range.sourceObject);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    try {
      let start = 0;
      let data = chunk;
      if (this.#rest) {
        data = Buffer.concat([this.#rest, chunk]);
        this.#rest = undefined;
      }
      for (let end = data.indexOf(NEWLINE); end !== -1; end = data.indexOf(NEWLINE, start)) {
        this.#line(data.subarray(start, end));
        start = end + 1;
      }
      if (start < data.length) this.#rest = data.subarray(start);
      if (this.#out.length >= FLUSH_CHARS) this.#flush();
      done();
    } catch (error) {
      done(error as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      if (this.#rest) this.#line(this.#rest);
      this.#rest = undefined;
      this.#flush();
      done();
    } catch (error) {
      done(error as Error);
    }
  }

  #flush(): void {
    if (this.#out.length > 0) this.push(Buffer.from(this.#out, "utf8"));
    this.#out = "";
  }

  #line(bytes: Buffer): void {
    const number = ++this.lines;
    if (bytes.length === 0) return;
    this.#out += leanRow(bytes, this.#range, this.#source, number);
    this.rows++;
  }
}

/** One COPY text row (with its newline) for one non-empty line, or NotLeanLineError. */
export function leanRow(bytes: Buffer, range: LeanRange, source: string, lineNumber: number): string {
  const refuse = (why: string) => new NotLeanLineError(`line ${lineNumber}: ${why}`);
  if (!isUtf8(bytes)) throw refuse("not UTF-8");
  const text = bytes.toString("utf8");
  if (RISKY_ESCAPE.test(text)) throw refuse("a \\u0000 or surrogate escape");
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw refuse("not JSON");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw refuse("not an object");
  const spans = memberSpans(text);
  if (!spans) throw refuse("a member twice or one of no raw column");
  const line = parsed as Record<string, unknown>;
  const { topic, partition, key } = line;
  const span = (name: string) => {
    const s = spans.get(name);
    return s ? text.slice(s[0], s[1]) : undefined;
  };
  const offsetText = span("offset");
  const partitionText = span("partition");
  const timestampText = span("timestamp");
  const valueText = span("value");
  if (topic !== range.topic) throw refuse(`topic is not ${range.topic}`);
  if (partitionText === undefined || !DIGITS.test(partitionText) || partition !== range.partition)
    throw refuse(`partition is not ${range.partition}`);
  if (offsetText === undefined || !DIGITS.test(offsetText)) throw refuse("offset is no plain integer");
  const offset = BigInt(offsetText);
  if (offset < range.firstOffset || offset > range.lastOffset) throw refuse(`offset ${offset} out of range`);
  if (timestampText === undefined || !DIGITS.test(timestampText))
    throw refuse("timestamp is no plain integer");
  const kafkaTs = kafkaTimestamp(Number(timestampText));
  if (kafkaTs === undefined) throw refuse("timestamp outside the exact range");
  if (key !== undefined && key !== null && (typeof key !== "string" || !key.isWellFormed()))
    throw refuse("key is no string");
  if (valueText === undefined) throw refuse("no value");
  const recordKey = typeof key === "string" ? copyText(key) : "\\N";
  return `${copyText(topic)}\t${partition}\t${offsetText}\t${recordKey}\t${copyText(valueText)}\t${kafkaTs}\t${source}\n`;
}

/**
 * What `to_timestamp((timestamp)::double precision / 1000)` stores, as an ISO text PostgreSQL
 * reads back to the same microsecond — or undefined when the millisecond is not exactly it
 * (PostgreSQL rounds the double seconds to microseconds; far from today that can move it).
 */
export function kafkaTimestamp(ms: number): string | undefined {
  if (!Number.isSafeInteger(ms) || ms < 0) return undefined;
  const exact = (ms - PG_EPOCH_SECONDS * 1000) * 1000;
  if (!Number.isSafeInteger(exact)) return undefined;
  if (rint((ms / 1000 - PG_EPOCH_SECONDS) * 1_000_000) !== exact) return undefined;
  return new Date(ms).toISOString();
}

/** C's rint: round half to even. */
function rint(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** A text value in COPY's text format. */
function copyText(value: string): string {
  return COPY_SPECIAL.test(value) ? value.replace(COPY_SPECIALS, (c) => COPY_ESCAPES[c] as string) : value;
}

/**
 * The [start, end) of each top-level member's value in a text JSON.parse read as an object;
 * undefined if a member appears twice or is none of the raw line's members.
 */
export function memberSpans(text: string): Map<string, [number, number]> | undefined {
  const spans = new Map<string, [number, number]>();
  let i = skipSpace(text, text.indexOf("{") + 1);
  while (text[i] !== "}") {
    const keyEnd = stringEnd(text, i);
    const rawName = text.slice(i, keyEnd);
    const name = rawName.includes("\\") ? (JSON.parse(rawName) as string) : rawName.slice(1, -1);
    if (spans.has(name) || !MEMBERS.has(name)) return undefined;
    const start = skipSpace(text, skipSpace(text, keyEnd) + 1);
    const end = valueEnd(text, start);
    spans.set(name, [start, end]);
    i = skipSpace(text, end);
    if (text[i] === ",") i = skipSpace(text, i + 1);
  }
  return spans;
}

function skipSpace(text: string, i: number): number {
  let j = i;
  while (isSpace(text.charCodeAt(j))) j++;
  return j;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

/** The index after the closing quote of the string starting at `i`. */
function stringEnd(text: string, i: number): number {
  let from = i + 1;
  for (;;) {
    const quote = text.indexOf('"', from);
    let slashes = 0;
    while (text.charCodeAt(quote - 1 - slashes) === 0x5c) slashes++;
    if (slashes % 2 === 0) return quote + 1;
    from = quote + 1;
  }
}

const STRUCTURAL = /["{}[\]]/g;
const SCALAR_END = /[,}\]\s]/g;

/** The index after the (valid) JSON value starting at `i`. */
function valueEnd(text: string, i: number): number {
  const c = text[i];
  if (c === '"') return stringEnd(text, i);
  if (c === "{" || c === "[") {
    let depth = 0;
    STRUCTURAL.lastIndex = i;
    for (let m = STRUCTURAL.exec(text); m; m = STRUCTURAL.exec(text)) {
      const s = m[0];
      if (s === '"') {
        STRUCTURAL.lastIndex = stringEnd(text, m.index);
        continue;
      }
      depth += s === "{" || s === "[" ? 1 : -1;
      if (depth === 0) return m.index + 1;
    }
    return text.length;
  }
  SCALAR_END.lastIndex = i;
  const m = SCALAR_END.exec(text);
  return m ? m.index : text.length;
}
