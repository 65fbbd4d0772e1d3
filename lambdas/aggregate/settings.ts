/** aggregate's settings from its environment (read per invocation, so tests can vary them). */
import { ConfigError, loadConfig, positiveSetting } from "../../core/config/index.ts";
import { DEFAULT_MAX_RECORD_BYTES } from "../../core/msk-event/index.ts";
import { DEFAULT_WINDOW_SETTINGS, type WindowSettings } from "../../core/realtime/index.ts";

export interface AggregateSettings {
  readonly tableName: string;
  readonly window: WindowSettings;
  /** The same limit land-records applies (MAX_RECORD_BYTES), so both agree on what a vote is. */
  readonly maxRecordBytes: number;
}

export function aggregateSettings(env: Record<string, string | undefined> = process.env): AggregateSettings {
  const seconds = (name: string, fallback: number): number => positiveSetting(env, name, fallback);
  const window: WindowSettings = {
    windowSeconds: seconds("WINDOW_SECONDS", DEFAULT_WINDOW_SETTINGS.windowSeconds),
    allowedLatenessSeconds: seconds(
      "ALLOWED_LATENESS_SECONDS",
      DEFAULT_WINDOW_SETTINGS.allowedLatenessSeconds,
    ),
    retentionSeconds: seconds("WINDOW_RETENTION_SECONDS", DEFAULT_WINDOW_SETTINGS.retentionSeconds),
    maxFutureSkewSeconds: seconds("MAX_FUTURE_SKEW_SECONDS", DEFAULT_WINDOW_SETTINGS.maxFutureSkewSeconds),
  };
  // A window that can still take on-time events must not be dropped.
  if (window.retentionSeconds < window.allowedLatenessSeconds + window.windowSeconds) {
    throw new ConfigError(
      "WINDOW_RETENTION_SECONDS must be at least ALLOWED_LATENESS_SECONDS + WINDOW_SECONDS",
    );
  }
  const maxRecordBytes = positiveSetting(env, "MAX_RECORD_BYTES", DEFAULT_MAX_RECORD_BYTES);
  return { tableName: loadConfig(env).servingTable, window, maxRecordBytes };
}
