/** land-records settings from its environment (read per invocation, so tests can vary them). */
import { loadConfig, positiveSetting } from "../../core/config/index.ts";
import { DEFAULT_MAX_RECORD_BYTES } from "../../core/msk-event/index.ts";

export function landingSettings(env: Record<string, string | undefined> = process.env) {
  const config = loadConfig(env);
  const max = positiveSetting(env, "MAX_RECORD_BYTES", DEFAULT_MAX_RECORD_BYTES);
  return { rawBucket: config.buckets.raw, quarantineBucket: config.buckets.quarantine, maxRecordBytes: max };
}
