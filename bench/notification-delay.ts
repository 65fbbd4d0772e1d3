/**
 * How long an S3 notification takes offline: from the object's write (the emulator's event
 * time) to the function's invocation, as the local runtime writes it for each object it
 * delivers (localstack/runtime/triggers/s3.ts). Read from a mark on, so an earlier stage's
 * objects don't count.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from "node:fs";
import { RUNTIME_STATE_DIR } from "../localstack/runtime/open.ts";
import { s3NotificationDelaysFile } from "../localstack/runtime/runtime.ts";
import { REPO_ROOT } from "../localstack/services/settings.ts";
import { percentile } from "./measure.ts";

export interface NotificationDelay {
  /** Objects delivered to a function in the span. */
  readonly samples: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/** Marks the runtime's delays file now; the returned function summarises what was added since. */
export function notificationDelaysFromNow(): () => NotificationDelay {
  const file = s3NotificationDelaysFile(RUNTIME_STATE_DIR(REPO_ROOT));
  const size = () => (existsSync(file) ? statSync(file).size : 0);
  const start = size();
  return () => {
    const buffer = Buffer.alloc(Math.max(0, size() - start));
    if (buffer.length > 0) {
      const fd = openSync(file, "r");
      try {
        readSync(fd, buffer, 0, buffer.length, start);
      } finally {
        closeSync(fd);
      }
    }
    const delays = buffer
      .toString("utf8")
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map(Number)
      .filter(Number.isFinite);
    return {
      samples: delays.length,
      p50Ms: percentile(delays, 50),
      p99Ms: percentile(delays, 99),
      maxMs: delays.length > 0 ? Math.max(...delays) : 0,
    };
  };
}
