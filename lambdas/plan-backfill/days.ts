/**
 * A backfill date range as the days the state machine's Map runs dbt for, each with its dbt
 * arguments: the run's own arguments plus `--vars {"run_date": "<day>"}`.
 */
import { InvalidBackfillRange } from "./errors.ts";

/**
 * Days per backfill execution. They run one after another, each dbt run within 20 minutes
 * (infra/constructs/orchestration.ts BACKFILL_DAY_TIMEOUT), and the execution within 12 hours:
 * 31 days fit with time to spare. A longer range is split into executions (month by month).
 */
export const MAX_DAYS = 31;

const DAY_MS = 86_400_000;

export interface BackfillDay {
  readonly day: string;
  readonly dbtArgs: readonly string[];
}

export function backfillDays(from: string, to: string, dbtArgs: readonly string[]): BackfillDay[] {
  const start = parseDay(from);
  const end = parseDay(to);
  if (end < start) throw new InvalidBackfillRange(`backfill range ends (${to}) before it starts (${from})`);
  const count = (end - start) / DAY_MS + 1;
  if (count > MAX_DAYS) {
    throw new InvalidBackfillRange(
      `backfill of ${count} days (${from} to ${to}); at most ${MAX_DAYS} days per run, as the days' dbt runs must fit in the run's 12 h timeout: split the range into runs of ${MAX_DAYS} days or fewer (e.g. month by month)`,
    );
  }
  return Array.from({ length: count }, (_, i) => {
    const day = new Date(start + i * DAY_MS).toISOString().slice(0, 10);
    return { day, dbtArgs: [...dbtArgs, "--vars", JSON.stringify({ run_date: day })] };
  });
}

function parseDay(value: string): number {
  const time = /^\d{4}-\d{2}-\d{2}$/.test(value) ? Date.parse(`${value}T00:00:00Z`) : Number.NaN;
  if (Number.isNaN(time) || new Date(time).toISOString().slice(0, 10) !== value) {
    throw new InvalidBackfillRange(`"${value}" is not a date (YYYY-MM-DD)`);
  }
  return time;
}
