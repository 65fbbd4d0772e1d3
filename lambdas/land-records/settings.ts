/** land-records settings from its environment (read per invocation, so tests can vary them). */
import { loadConfig } from "../../core/config/index.ts";
import { DEFAULT_MAX_RECORD_BYTES } from "../../core/msk-event/index.ts";

export function landingSettings(env: Record<string, string | undefined> = process.env) {
  const config = loadConfig(env);
  const max = Number(env.MAX_RECORD_BYTES ?? DEFAULT_MAX_RECORD_BYTES);
  if (!Number.isInteger(max) || max <= 0) throw new RangeError(`MAX_RECORD_BYTES must be a positive integer`);
  return { rawBucket: config.buckets.raw, quarantineBucket: config.buckets.quarantine, maxRecordBytes: max };
}
