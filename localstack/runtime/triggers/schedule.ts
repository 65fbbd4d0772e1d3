/**
 * EventBridge Scheduler schedules: `rate(n unit)` runs every n units from start-up;
 * `cron(...)` (AWS's six-field form, UTC) is checked once a minute; `at(...)` runs once.
 */
export interface ScheduledTask {
  readonly id: string;
  readonly expression: string;
  readonly run: () => Promise<void>;
}

export class Scheduler {
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly log: (message: string) => void;

  constructor(log: (message: string) => void) {
    this.log = log;
  }

  add(task: ScheduledTask): void {
    const fire = () =>
      task.run().catch((error: Error) => this.log(`schedule ${task.id} failed: ${error.message}`));
    const rate = /^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$/.exec(task.expression);
    if (rate) {
      const unitMs = rate[2]?.startsWith("minute")
        ? 60_000
        : rate[2]?.startsWith("hour")
          ? 3_600_000
          : 86_400_000;
      this.timers.push(setInterval(fire, Number(rate[1]) * unitMs).unref());
      return;
    }
    const cron = /^cron\((.+)\)$/.exec(task.expression);
    if (cron?.[1]) {
      const matches = cronMatcher(cron[1]);
      this.timers.push(
        setInterval(() => {
          if (matches(new Date())) fire();
        }, 60_000).unref(),
      );
      return;
    }
    const at = /^at\((.+)\)$/.exec(task.expression);
    if (at?.[1]) {
      const delay = Date.parse(`${at[1]}Z`) - Date.now();
      if (delay > 0) this.timers.push(setTimeout(fire, delay).unref());
      return;
    }
    throw new Error(`schedule ${task.id}: unsupported expression ${task.expression}`);
  }

  stop(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.timers.length = 0;
  }
}

/** AWS cron: minutes hours day-of-month month day-of-week year; supports *, ?, lists, ranges, steps. */
export function cronMatcher(expression: string): (date: Date) => boolean {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 6) throw new Error(`cron needs 6 fields, got "${expression}"`);
  const [minute, hour, dayOfMonth, month, dayOfWeek] = fields as [string, string, string, string, string];
  const field = (spec: string, value: number) => {
    if (spec === "*" || spec === "?") return true;
    return spec.split(",").some((part) => {
      const [range, step] = part.split("/") as [string, string | undefined];
      const [lo, hi] = range === "*" ? [0, 59] : range.split("-").map(Number);
      const low = Number(lo);
      const high = hi === undefined ? (step ? 59 : low) : Number(hi);
      return value >= low && value <= high && (value - low) % Number(step ?? 1) === 0;
    });
  };
  return (d) =>
    field(minute, d.getUTCMinutes()) &&
    field(hour, d.getUTCHours()) &&
    field(dayOfMonth, d.getUTCDate()) &&
    field(month, d.getUTCMonth() + 1) &&
    field(dayOfWeek, d.getUTCDay() + 1);
}
