/** file-to-topic settings from its environment (read per invocation, so tests can vary them). */
import { loadConfig } from "../../core/config/index.ts";

export function fileToTopicSettings(env: Record<string, string | undefined> = process.env) {
  const config = loadConfig(env);
  return {
    config,
    rawBucket: config.buckets.raw,
    quarantineBucket: config.buckets.quarantine,
    /** Rows one invocation reads before handing over to the next (default: time decides). */
    maxRows: positive(env.FILE_TO_TOPIC_ROW_BUDGET, Number.POSITIVE_INFINITY),
    /** Stop reading when less than this is left of the invocation's time. */
    safetyMs: positive(env.FILE_TO_TOPIC_SAFETY_MS, 120_000),
    segmentRows: positive(env.FILE_TO_TOPIC_SEGMENT_ROWS, 100_000),
  };
}

function positive(value: string | undefined, fallback: number): number {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new RangeError(`expected a positive number, got "${value}"`);
  return n;
}
