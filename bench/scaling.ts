/**
 * Stage 6, scaling: the ingest at growing sizes, each on a fresh runtime process (so its peak
 * memory is its own), to show how time and memory grow with the record count.
 */
import { BenchError } from "./errors.ts";
import type { IngestFigures } from "./ingest.ts";

export interface ScalePoint {
  readonly records: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly peakRssBytes: number;
  readonly cpuSeconds: number;
  /** Seconds per record relative to the smallest scale (1 = linear). */
  readonly relativeCostPerRecord: number;
}

export function scalePoints(runs: readonly IngestFigures[]): ScalePoint[] {
  const sorted = [...runs].sort((a, b) => a.records - b.records);
  const unit = (run: IngestFigures) => run.endToEnd.seconds / run.records;
  const first = sorted[0];
  return sorted.map((run) => ({
    records: run.records,
    seconds: run.endToEnd.seconds,
    perSecond: run.endToEnd.perSecond,
    peakRssBytes: run.runtime.peakRssBytes,
    cpuSeconds: run.runtime.cpuSeconds,
    relativeCostPerRecord: first ? Math.round((unit(run) / unit(first)) * 100) / 100 : 1,
  }));
}

/** Parses `--scales 10000,100000,1000000`: positive integers, ascending, no duplicates. */
export function parseScales(text: string): number[] {
  const scales = text.split(",").map((part) => Number(part.trim().replaceAll("_", "")));
  if (scales.length === 0 || scales.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new BenchError(`--scales expects positive whole numbers separated by commas, got "${text}"`);
  }
  return [...new Set(scales)].sort((a, b) => a - b);
}
