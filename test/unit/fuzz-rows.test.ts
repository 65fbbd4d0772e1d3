/**
 * Property-based fuzzing of file-to-topic's row reader (`readRows`): arbitrary bytes never make
 * it throw and every row is either a value or an error, in line order; any table written as
 * CSV with a BOM, CRLF, quotes, commas and line breaks inside fields reads back exactly.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Row, readRows } from "../../core/sources/rows.ts";

/** The bytes in chunks of `size`, so lines straddle chunk boundaries. */
async function* chunked(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function rowsOf(format: "csv" | "ndjson", bytes: Uint8Array, size: number): Promise<Row[]> {
  const out: Row[] = [];
  for await (const row of readRows(format, chunked(bytes, size), { maxLineBytes: 512 })) out.push(row);
  return out;
}

const chunkSize = fc.integer({ min: 1, max: 64 });

/**
 * A fixed seed keeps CI deterministic; FUZZ_SEED=<n> explores further. Counterexamples found
 * along the way are kept as examples, so they run first, always.
 */
const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 20261122;

describe("readRows under fuzzing", () => {
  it("never throws on arbitrary bytes; rows come in line order, each a value or an error (1,000 cases)", async () => {
    const text = fc.oneof(
      fc.uint8Array({ maxLength: 1500 }),
      fc
        .array(fc.constantFrom('"', ",", "\n", "\r\n", "a", "{", "}", ":", "1", "\ufeff", "\u0000", "\xff"), {
          maxLength: 300,
        })
        .map((parts) => new Uint8Array(Buffer.from(parts.join(""), "latin1"))),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("csv" as const, "ndjson" as const),
        text,
        chunkSize,
        async (format, bytes, size) => {
          const rows = await rowsOf(format, bytes, size);
          let line = 0;
          let byte = 0;
          for (const row of rows) {
            expect(row.line).toBeGreaterThan(line);
            expect(row.nextByte).toBeGreaterThanOrEqual(byte);
            expect(row.nextByte).toBeLessThanOrEqual(bytes.length);
            expect((row.value !== undefined) !== (row.error !== undefined)).toBe(true);
            line = row.line;
            byte = row.nextByte;
          }
        },
      ),
      {
        numRuns: 1000,
        seed,
        examples: [
          // A stray quote, then an unreadable line while the quote was open: the lines in between
          // were read again after the unreadable line's error, out of line order.
          ["csv", new Uint8Array([34, 10, 123, 13, 10, 0, 10, 255]), 1],
        ],
      },
    );
  });

  it("reads back any table written as CSV, with a BOM, CRLF and quoted fields (1,000 cases)", async () => {
    const cell = fc
      .string({ unit: "binary", maxLength: 10 })
      .filter((s) => !/\p{Cs}/u.test(s) && !s.includes("\r")); // no lone surrogates: they aren't UTF-8
    const table = fc.array(fc.tuple(cell, cell, cell, fc.boolean()), { minLength: 1, maxLength: 20 });
    await fc.assert(
      fc.asyncProperty(table, chunkSize, async (records, size) => {
        const quote = (s: string, always: boolean) =>
          always || /[",\n]/.test(s) || s.trim() !== s ? `"${s.replaceAll('"', '""')}"` : s;
        const lines = [
          "\ufeffa,b,c",
          ...records.map(([a, b, c, always]) => [a, b, c].map((s) => quote(s, always)).join(",")),
        ];
        const bytes = new Uint8Array(Buffer.from(`${lines.join("\r\n")}\r\n`));
        const rows = await rowsOf("csv", bytes, size);
        expect(rows.map((r) => r.value ?? r.error)).toEqual(records.map(([a, b, c]) => ({ a, b, c })));
      }),
      { numRuns: 1000, seed },
    );
  });
});
