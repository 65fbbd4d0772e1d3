/**
 * How long an S3 notification takes offline: from the object's write (the emulator's event
 * time) to the function's invocation, as the local runtime writes it for each object it
 * delivers (localstack/runtime/triggers/s3.ts). Read from a mark on, so an earlier stage's
 * objects don't count.
 */
import { RUNTIME_STATE_DIR } from "../localstack/runtime/open.ts";
import { s3NotificationDelaysFile } from "../localstack/runtime/runtime.ts";
import { delaysSince, markDelays } from "../localstack/runtime/triggers/delays-log.ts";
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
  // The runtime caps the file (rotated to .1 at 1 MB): the mark follows it across a rotation.
  const mark = markDelays(s3NotificationDelaysFile(RUNTIME_STATE_DIR(REPO_ROOT)));
  return () => {
    const delays = delaysSince(mark);
    return {
      samples: delays.length,
      p50Ms: percentile(delays, 50),
      p99Ms: percentile(delays, 99),
      maxMs: delays.length > 0 ? Math.max(...delays) : 0,
    };
  };
}
