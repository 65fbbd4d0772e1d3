/**
 * Rows of an uploaded file (CSV or NDJSON), read line by line with per-row errors.
 *
 * Uploaded files are untrusted: one stray quote must cost one row, not the file. csv-parse's
 * own error recovery (`skip_records_with_error`) resynchronises unpredictably and can swallow
 * the following good rows without reporting them, so uploaded CSV is parsed here, record by
 * record, over `splitLines` (which also gives the byte offsets a resumed invocation needs).
 * The shipped files we trust (Superstore, stocks.csv) are read with csv-parse: see csv-file.ts.
 */
import { type Line, type SplitOptions, splitLines } from "./lines.ts";

export type FileFormat = "csv" | "ndjson";

export interface Row {
  /** Line number where the row starts (1-based, header included). */
  readonly line: number;
  /** The parsed row: an object keyed by the header for CSV, the JSON value for NDJSON. */
  readonly value?: unknown;
  /** Why the row could not be parsed; `raw` then holds its text (or undefined if unreadable). */
  readonly error?: string;
  readonly raw?: string;
  /** Byte offset just after the row: resume here. */
  readonly nextByte: number;
  /** Line number of the row after this one. */
  readonly nextLine: number;
}

export interface RowOptions extends SplitOptions {
  /** CSV header when resuming past the first line (it was read by an earlier invocation). */
  readonly header?: readonly string[];
  /** Called once the CSV header is read, so a checkpoint can keep it. */
  readonly onHeader?: (header: readonly string[]) => void;
}

/** The format of an uploaded object, from its extension; undefined when we don't read it. */
export function formatOf(key: string): FileFormat | undefined {
  const lower = key.toLowerCase();
  if (lower.endsWith(".csv")) return "csv";
  if (lower.endsWith(".ndjson") || lower.endsWith(".jsonl")) return "ndjson";
  return undefined;
}

export function readRows(
  format: FileFormat,
  chunks: AsyncIterable<Uint8Array>,
  options: RowOptions = {},
): AsyncGenerator<Row> {
  const lines = splitLines(chunks, options);
  return format === "csv" ? csvRows(lines, options) : ndjsonRows(lines);
}

export async function* ndjsonRows(lines: AsyncIterable<Line>): AsyncGenerator<Row> {
  for await (const line of lines) {
    const next = { nextByte: line.nextByte, nextLine: line.number + 1 };
    if (line.error !== undefined) {
      yield { line: line.number, error: line.error, ...next };
    } else if (line.text?.trim()) {
      yield parseJsonLine(line.number, line.text, next);
    }
  }
}

function parseJsonLine(number: number, text: string, next: { nextByte: number; nextLine: number }): Row {
  try {
    return { line: number, value: JSON.parse(text), raw: text, ...next };
  } catch (error) {
    return { line: number, error: `invalid JSON: ${(error as Error).message}`, raw: text, ...next };
  }
}

/** A quoted field may span lines; past this many, the opening quote is taken as a stray one. */
export const MAX_RECORD_LINES = 50;

export async function* csvRows(lines: AsyncIterable<Line>, options: RowOptions = {}): AsyncGenerator<Row> {
  let header = options.header;
  // Physical lines of a record whose quoted field is still open.
  let open: Line[] = [];

  const emit = function* (record: Line[], fields: string[] | string): Generator<Row> {
    const first = record[0] as Line;
    const last = record[record.length - 1] as Line;
    const next = { nextByte: last.nextByte, nextLine: last.number + 1 };
    const raw = record.map((l) => l.text).join("\n");
    if (typeof fields === "string") {
      yield { line: first.number, error: fields, raw, ...next };
    } else if (header === undefined) {
      header = fields.map((f) => f.trim());
      options.onHeader?.(header);
    } else if (fields.length !== header.length) {
      yield {
        line: first.number,
        error: `expected ${header.length} fields, found ${fields.length}`,
        raw,
        ...next,
      };
    } else {
      const value: Record<string, string> = {};
      for (let i = 0; i < header.length; i++) value[header[i] as string] = fields[i] as string;
      yield { line: first.number, value, raw, ...next };
    }
  };

  // Lines after a stray opening quote are read again, one by one, from this work list.
  const replay: Line[] = [];

  function* consume(line: Line): Generator<Row> {
    if (line.error !== undefined) {
      // The open record ends here unterminated; its other lines are read again before this one.
      if (open.length > 0) return yield* flushUnterminated(line);
      yield { line: line.number, error: line.error, nextByte: line.nextByte, nextLine: line.number + 1 };
      return;
    }
    if (open.length === 0 && !line.text?.trim()) return;
    open.push(line);
    const parsed = parseCsvRecord(open.map((l) => l.text).join("\n"));
    if (parsed === INCOMPLETE) {
      if (open.length >= MAX_RECORD_LINES) yield* flushUnterminated();
      return;
    }
    const record = open;
    open = [];
    yield* emit(record, parsed);
  }

  function* flushUnterminated(...after: Line[]): Generator<Row> {
    const [first, ...rest] = open;
    open = [];
    replay.unshift(...rest, ...after);
    yield* emit([first as Line], "unterminated quoted field");
  }

  function* drain(): Generator<Row> {
    while (replay.length > 0) yield* consume(replay.shift() as Line);
  }

  for await (const line of lines) {
    yield* consume(line);
    yield* drain();
  }
  while (open.length > 0) {
    yield* flushUnterminated();
    yield* drain();
  }
}

export const INCOMPLETE = Symbol("incomplete");

/**
 * Parses one CSV record (RFC 4180: `,` separators, `"` quoting, `""` escapes). Returns the
 * fields, INCOMPLETE when a quoted field is still open at the end, or an error message. A quote
 * inside an unquoted field is kept as a literal character (`5" screen`), as spreadsheets do.
 */
export function parseCsvRecord(text: string): string[] | typeof INCOMPLETE | string {
  const fields: string[] = [];
  let i = 0;
  const n = text.length;
  for (;;) {
    if (text[i] === '"') {
      let value = "";
      let j = i + 1;
      for (;;) {
        const close = text.indexOf('"', j);
        if (close === -1) return INCOMPLETE;
        value += text.slice(j, close);
        if (text[close + 1] === '"') {
          value += '"';
          j = close + 2;
          continue;
        }
        i = close + 1;
        break;
      }
      fields.push(value);
      if (i === n) return fields;
      if (text[i] !== ",") return `unexpected character after closing quote in field ${fields.length}`;
      i++;
    } else {
      const comma = text.indexOf(",", i);
      if (comma === -1) {
        fields.push(text.slice(i));
        return fields;
      }
      fields.push(text.slice(i, comma));
      i = comma + 1;
    }
  }
}
