/**
 * EventBridge Scheduler schedule expressions — `rate(value unit)`, `cron(six fields)`,
 * `at(yyyy-mm-ddThh:mm:ss)` — parsed, validated and evaluated as AWS does:
 * https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html
 *
 * - rate: a positive whole value; unit minute(s)/hour(s)/day(s), singular for 1 and plural
 *   otherwise (EventBridge's documented rule; CDK writes `rate(1 hour)`). A day is 24 hours,
 *   not a calendar day, also across a DST change. Fires at StartDate + k × rate.
 * - cron: see ./cron.ts; evaluated on the wall clock of the schedule's time zone. A local
 *   time skipped by spring-forward does not fire; one repeated by fall-back fires once.
 * - at: once, at that local time in the schedule's time zone; StartDate/EndDate are ignored.
 * Pure: both infra/ (config validation) and the local runtime use it.
 */

import { PipelineError } from "../errors.ts";
import { type CronSchedule, CronSyntaxError, firesOnDay, LAST_CRON_YEAR, parseCron } from "./cron.ts";
import { instantsOf, isTimezone, type WallClock, wallClockMs, wallClockOf } from "./timezone.ts";

/** What CreateSchedule answers for an expression it refuses (HTTP 400). */
export class InvalidScheduleExpressionError extends PipelineError {
  override readonly name = "ValidationException";
  readonly expression: string;
  /** Why, in our words; AWS itself gives only the message. */
  readonly reason: string;
  constructor(expression: string, reason: string) {
    super(`Invalid Schedule Expression ${expression}. (${reason})`);
    this.expression = expression;
    this.reason = reason;
  }
}

/** What CreateSchedule answers for a ScheduleExpressionTimezone that is not an IANA name. */
export class InvalidScheduleTimezoneError extends PipelineError {
  override readonly name = "ValidationException";
  constructor(timezone: string) {
    super(
      `Invalid ScheduleExpressionTimezone ${timezone}: expected an IANA time zone name such as Europe/Paris`,
    );
  }
}

export type ParsedSchedule =
  | { readonly kind: "rate"; readonly periodMs: number }
  | { readonly kind: "cron"; readonly cron: CronSchedule }
  | { readonly kind: "at"; readonly local: WallClock };

const UNIT_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;

export function parseScheduleExpression(expression: string): ParsedSchedule {
  const fail = (reason: string): never => {
    throw new InvalidScheduleExpressionError(expression, reason);
  };
  const rate = /^rate\((.*)\)$/.exec(expression);
  if (rate) {
    const m = /^(\d+) (minute|hour|day)(s?)$/.exec(rate[1] as string);
    if (!m) return fail("rate needs a positive whole value and a unit: minute(s), hour(s) or day(s)");
    const value = Number(m[1]);
    if (value < 1 || m[1]?.startsWith("0")) return fail("the rate value must be a positive whole number");
    if ((value === 1) !== (m[3] === ""))
      return fail(
        value === 1 ? `a rate of 1 takes the singular unit ${m[2]}` : `a rate of ${value} takes ${m[2]}s`,
      );
    return { kind: "rate", periodMs: value * UNIT_MS[m[2] as keyof typeof UNIT_MS] };
  }
  const cron = /^cron\((.*)\)$/.exec(expression);
  if (cron) {
    try {
      return { kind: "cron", cron: parseCron(cron[1] as string) };
    } catch (error) {
      if (error instanceof CronSyntaxError) return fail(error.message);
      throw error;
    }
  }
  const at = /^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$/.exec(expression);
  if (at) {
    const [year, month, day, hour, minute, second] = at.slice(1).map(Number) as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    const local = { year, month, day, hour, minute, second };
    const check = new Date(wallClockMs(local));
    if (
      check.getUTCFullYear() !== year ||
      check.getUTCMonth() + 1 !== month ||
      check.getUTCDate() !== day ||
      hour > 23 ||
      minute > 59 ||
      second > 59
    )
      return fail("at() needs a real date and time, yyyy-mm-ddThh:mm:ss");
    return { kind: "at", local };
  }
  if (expression.startsWith("at(")) return fail("at() takes yyyy-mm-ddThh:mm:ss (no zone, no fraction)");
  return fail(
    "expected rate(value unit), cron(minutes hours day-of-month month day-of-week year) or at(yyyy-mm-ddThh:mm:ss)",
  );
}

/** Throws InvalidScheduleExpressionError (or InvalidScheduleTimezoneError) where AWS refuses. */
export function validateScheduleExpression(expression: string, timezone?: string): void {
  parseScheduleExpression(expression);
  if (timezone !== undefined) validateTimezone(timezone);
}

export function validateTimezone(timezone: string): void {
  if (!isTimezone(timezone)) throw new InvalidScheduleTimezoneError(timezone);
}

export interface ScheduleWindow {
  /** Nothing fires before it; a rate's occurrences count from it. */
  readonly startDate?: Date;
  /** Nothing fires after it (ignored by at(), as AWS ignores it). */
  readonly endDate?: Date;
}

/**
 * The first fire time strictly after `after`, or undefined when the schedule has none left.
 * A rate without a StartDate counts from `after` (the caller passes its last fire, or when the
 * schedule was created).
 */
export function nextFireTime(
  expression: string | ParsedSchedule,
  after: Date,
  timezone = "UTC",
  window: ScheduleWindow = {},
): Date | undefined {
  const schedule = typeof expression === "string" ? parseScheduleExpression(expression) : expression;
  validateTimezone(timezone);
  const afterMs = after.getTime();
  if (schedule.kind === "at") {
    // A local time inside a spring-forward gap has no instant: it runs at the first one after.
    const instant = instantsOf(schedule.local, timezone)[0] ?? firstInstantAfterGap(schedule.local, timezone);
    return instant > afterMs ? new Date(instant) : undefined;
  }
  const startMs = window.startDate?.getTime();
  let next: number | undefined;
  if (schedule.kind === "rate") {
    const anchor = startMs ?? afterMs;
    const periods = anchor > afterMs ? 0 : Math.floor((afterMs - anchor) / schedule.periodMs) + 1;
    next = anchor + periods * schedule.periodMs;
  } else {
    const from = startMs !== undefined && startMs - 1 > afterMs ? startMs - 1 : afterMs;
    next = nextCronInstant(schedule.cron, from, timezone);
  }
  if (next === undefined || (window.endDate && next > window.endDate.getTime())) return undefined;
  return new Date(next);
}

function nextCronInstant(cron: CronSchedule, afterMs: number, timezone: string): number | undefined {
  const start = wallClockOf(afterMs, timezone);
  // Walk the local calendar day by day (skipping whole years and months that cannot match),
  // then the day's times in order; the first instant past `afterMs` wins.
  const day = new Date(Date.UTC(start.year, start.month - 1, start.day));
  while (day.getUTCFullYear() <= LAST_CRON_YEAR) {
    const year = day.getUTCFullYear();
    const month = day.getUTCMonth() + 1;
    if (!cron.years.has(year)) {
      day.setUTCFullYear(year + 1, 0, 1);
      continue;
    }
    if (!cron.months.has(month)) {
      day.setUTCMonth(month, 1);
      continue;
    }
    const date = day.getUTCDate();
    if (firesOnDay(cron.day, year, month, date)) {
      for (const hour of cron.hours)
        for (const minute of cron.minutes) {
          // Fall-back repeats a local time: it fires once, at its first instant.
          const instant = instantsOf({ year, month, day: date, hour, minute, second: 0 }, timezone)[0];
          if (instant !== undefined && instant > afterMs) return instant;
        }
    }
    day.setUTCDate(date + 1);
  }
  return undefined;
}

function firstInstantAfterGap(local: WallClock, timezone: string): number {
  // Read with the offset in force before the gap, which lands the same distance past it.
  const localMs = wallClockMs(local);
  const before = localMs - 86_400_000;
  return localMs - (wallClockMs(wallClockOf(before, timezone)) - before);
}
