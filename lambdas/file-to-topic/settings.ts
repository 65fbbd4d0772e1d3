/** file-to-topic settings from its environment (read per invocation, so tests can vary them). */
import { loadConfig, positiveSetting } from "../../core/config/index.ts";

export function fileToTopicSettings(env: Record<string, string | undefined> = process.env) {
  const config = loadConfig(env);
  return {
    config,
    rawBucket: config.buckets.raw,
    quarantineBucket: config.buckets.quarantine,
    /** Rows one invocation reads before handing over to the next (default: time decides). */
    maxRows: positiveSetting(env, "FILE_TO_TOPIC_ROW_BUDGET", Number.POSITIVE_INFINITY, "number"),
    /** Stop reading when less than this is left of the invocation's time. */
    safetyMs: positiveSetting(env, "FILE_TO_TOPIC_SAFETY_MS", 120_000, "number"),
    segmentRows: positiveSetting(env, "FILE_TO_TOPIC_SEGMENT_ROWS", 100_000, "number"),
  };
}
