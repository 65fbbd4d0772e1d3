/**
 * Stocks sources: vega-datasets' monthly closes (data/stocks.csv: symbol,date,price) replayed
 * in file order, or seeded ticks from the random-walk generator.
 */
import { packageFile, readCsvFile } from "../../sources/csv-file.ts";
import type { DatasetSources, Source, SourceOptions, SourceRecord } from "../../sources/types.ts";
import { generateTicks } from "./generator.ts";

export const STOCKS_CSV_ROWS = 560;

export function stocksCsvSource(options: SourceOptions = {}): Source {
  const limit = options.count ?? STOCKS_CSV_ROWS;
  return {
    name: "stocks-csv",
    expectedCount: Math.min(limit, STOCKS_CSV_ROWS),
    records: csvRecords(packageFile("vega-datasets", "data/stocks.csv"), limit),
  };
}

async function* csvRecords(path: string, limit: number): AsyncGenerator<SourceRecord> {
  for await (const row of readCsvFile(path, limit))
    yield { entity: "prices", value: { ...row, source: "monthly-csv" } };
}

export const DEFAULT_TICKS = 10_000;

export function tickSource(options: SourceOptions = {}): Source {
  const count = options.count ?? DEFAULT_TICKS;
  const ticks = generateTicks({ count, seed: options.seed });
  return {
    name: "generator",
    expectedCount: count,
    records: (async function* () {
      for (const tick of ticks) yield { entity: "prices", value: tick };
    })(),
  };
}

export const stocksSources: DatasetSources = {
  definitions: [
    {
      kind: "file",
      description: "vega-datasets' data/stocks.csv (monthly closes, 560 rows)",
      open: stocksCsvSource,
    },
    { kind: "generator", description: "seeded random-walk ticks (--count ticks)", open: tickSource },
  ],
  // `--count N` alone asks for N generated ticks; without it, the CSV is replayed.
  defaultKind: (options) => (options.count === undefined ? "file" : "generator"),
};
