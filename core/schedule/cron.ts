/**
 * EventBridge's six-field cron, `minutes hours day-of-month month day-of-week year`, with AWS's
 * (Quartz-style) semantics:
 * - exactly one of day-of-month / day-of-week is `?`;
 * - day-of-month 1–31 with `L` (last day), `LW` (last weekday), `<n>W` (weekday nearest n,
 *   never leaving the month); day-of-week 1–7 = SUN–SAT with `L` (Saturday), `<d>L` (last d of
 *   the month), `<d>#<k>` (k-th d of the month, alone in the field); month 1–12 or JAN–DEC;
 *   year 1970–2199;
 * - lists `,`, ranges `a-b` (a range may wrap: hours `20-2` is 20…23,0…2), steps `/` that
 *   count from the start given or, after `*`, from the field's first value (day-of-month and
 *   month from 1, so `*\/3` in month is JAN,APR,JUL,OCT).
 * None of the npm parsers we tried does all of this (see docs/ARCHITECTURE.md, schedules).
 */
import { PipelineError } from "../errors.ts";

export class CronSyntaxError extends PipelineError {}

interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  readonly wraps: boolean;
}

const MINUTES: FieldSpec = { name: "minutes", min: 0, max: 59, wraps: true };
const HOURS: FieldSpec = { name: "hours", min: 0, max: 23, wraps: true };
const DAY_OF_MONTH: FieldSpec = { name: "day-of-month", min: 1, max: 31, wraps: true };
const MONTH: FieldSpec = {
  name: "month",
  min: 1,
  max: 12,
  wraps: true,
  names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"],
};
const DAY_OF_WEEK: FieldSpec = {
  name: "day-of-week",
  min: 1,
  max: 7,
  wraps: true,
  names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"],
};
const YEAR: FieldSpec = { name: "year", min: 1970, max: 2199, wraps: false };

export const LAST_CRON_YEAR = YEAR.max;

/** Which days fire: by day of month or by day of week (the other field is `?`). */
export type DayRule =
  | { readonly by: "day-of-month"; readonly days: ReadonlySet<number> }
  | { readonly by: "last-day-of-month" }
  | { readonly by: "last-weekday-of-month" }
  | { readonly by: "nearest-weekday"; readonly day: number }
  | { readonly by: "day-of-week"; readonly weekdays: ReadonlySet<number> }
  | { readonly by: "last-weekday-in-month"; readonly weekday: number }
  | { readonly by: "nth-weekday"; readonly weekday: number; readonly nth: number };

export interface CronSchedule {
  /** Ascending. */
  readonly minutes: readonly number[];
  /** Ascending. */
  readonly hours: readonly number[];
  readonly months: ReadonlySet<number>;
  readonly years: ReadonlySet<number>;
  readonly day: DayRule;
}

export function parseCron(fields: string): CronSchedule {
  const parts = fields.trim().split(/\s+/);
  if (parts.length !== 6)
    throw new CronSyntaxError(
      `cron needs 6 fields (minutes hours day-of-month month day-of-week year), got ${parts.length}`,
    );
  const [minutes, hours, dayOfMonth, month, dayOfWeek, year] = parts as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  return {
    minutes: [...parseField(minutes, MINUTES)].sort((a, b) => a - b),
    hours: [...parseField(hours, HOURS)].sort((a, b) => a - b),
    months: parseField(month, MONTH),
    years: parseField(year, YEAR),
    day: parseDays(dayOfMonth, dayOfWeek),
  };
}

function parseDays(dayOfMonth: string, dayOfWeek: string): DayRule {
  if ((dayOfMonth === "?") === (dayOfWeek === "?"))
    throw new CronSyntaxError(
      "exactly one of day-of-month and day-of-week must be ? (a value or * in one needs ? in the other)",
    );
  if (dayOfWeek === "?") {
    if (dayOfMonth === "L") return { by: "last-day-of-month" };
    if (dayOfMonth === "LW") return { by: "last-weekday-of-month" };
    const nearest = /^(\d+)W$/.exec(dayOfMonth);
    if (nearest) return { by: "nearest-weekday", day: value(nearest[1] as string, DAY_OF_MONTH) };
    return { by: "day-of-month", days: parseField(dayOfMonth, DAY_OF_MONTH) };
  }
  if (dayOfWeek === "L") return { by: "day-of-week", weekdays: new Set([DAY_OF_WEEK.max]) };
  const last = /^([A-Za-z]{3}|\d+)L$/.exec(dayOfWeek);
  if (last) return { by: "last-weekday-in-month", weekday: value(last[1] as string, DAY_OF_WEEK) };
  const nth = /^([A-Za-z]{3}|\d+)#(\d+)$/.exec(dayOfWeek);
  if (nth) {
    const n = Number(nth[2]);
    if (n < 1 || n > 5) throw new CronSyntaxError(`day-of-week ${dayOfWeek}: the # instance must be 1–5`);
    return { by: "nth-weekday", weekday: value(nth[1] as string, DAY_OF_WEEK), nth: n };
  }
  if (dayOfWeek.includes("#"))
    throw new CronSyntaxError(`day-of-week ${dayOfWeek}: a # expression must be the field's only expression`);
  return { by: "day-of-week", weekdays: parseField(dayOfWeek, DAY_OF_WEEK) };
}

/** One field's values: a comma list of `*`, `n`, `a-b`, each optionally `/step`. */
function parseField(text: string, spec: FieldSpec): Set<number> {
  const values = new Set<number>();
  for (const element of text.split(",")) {
    const [range, stepText, extra] = element.split("/");
    if (range === undefined || range === "" || extra !== undefined)
      throw new CronSyntaxError(`${spec.name} ${text}: "${element}" is not a value, range or step`);
    const step = stepText === undefined ? 1 : positive(stepText, spec, element);
    let first: number;
    let last: number;
    if (range === "*") {
      first = spec.min;
      last = spec.max;
    } else if (range.includes("-")) {
      const [a, b, more] = range.split("-");
      if (a === undefined || b === undefined || more !== undefined)
        throw new CronSyntaxError(`${spec.name} ${text}: "${element}" is not a range`);
      first = value(a, spec);
      last = value(b, spec);
      if (first > last && !spec.wraps)
        throw new CronSyntaxError(`${spec.name} ${text}: range ${range} runs backwards`);
    } else {
      first = value(range, spec);
      // `n/step` runs from n to the field's end; a bare `n` is that value alone.
      last = stepText === undefined ? first : spec.max;
    }
    const span = spec.max - spec.min + 1;
    const count = ((last - first + span) % span) + 1;
    for (let i = 0; i < count; i += step) values.add(spec.min + ((first - spec.min + i) % span));
  }
  return values;
}

function value(text: string, spec: FieldSpec): number {
  const named = spec.names?.indexOf(text.toUpperCase()) ?? -1;
  if (named >= 0) return spec.min + named;
  if (!/^\d+$/.test(text))
    throw new CronSyntaxError(
      `${spec.name}: "${text}" is not a number${spec.names ? ` or one of ${spec.names[0]}–${spec.names.at(-1)}` : ""}`,
    );
  const n = Number(text);
  if (n < spec.min || n > spec.max)
    throw new CronSyntaxError(`${spec.name}: ${n} is outside ${spec.min}–${spec.max}`);
  return n;
}

function positive(text: string, spec: FieldSpec, element: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1)
    throw new CronSyntaxError(`${spec.name}: "${element}" needs a positive whole step`);
  return Number(text);
}

export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** 1 = Sunday … 7 = Saturday, as AWS numbers them. */
export function weekdayOf(year: number, month: number, day: number): number {
  return new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 1;
}

const isWeekend = (weekday: number) => weekday === 1 || weekday === 7;

/** Whether the schedule fires on this calendar day (year and month checked by the caller). */
export function firesOnDay(rule: DayRule, year: number, month: number, day: number): boolean {
  const lastDay = daysInMonth(year, month);
  const weekday = weekdayOf(year, month, day);
  switch (rule.by) {
    case "day-of-month":
      return rule.days.has(day);
    case "last-day-of-month":
      return day === lastDay;
    case "last-weekday-of-month":
      return !isWeekend(weekday) && (day === lastDay || (weekday === 6 && day >= lastDay - 2));
    case "nearest-weekday":
      return day === nearestWeekday(year, month, rule.day);
    case "day-of-week":
      return rule.weekdays.has(weekday);
    case "last-weekday-in-month":
      return weekday === rule.weekday && day + 7 > lastDay;
    case "nth-weekday":
      return weekday === rule.weekday && Math.ceil(day / 7) === rule.nth;
  }
}

/** The weekday nearest `target` in the month, never crossing into another month; none past its end. */
function nearestWeekday(year: number, month: number, target: number): number | undefined {
  const lastDay = daysInMonth(year, month);
  if (target > lastDay) return undefined;
  const weekday = weekdayOf(year, month, target);
  if (weekday === 7) return target === 1 ? 3 : target - 1; // Saturday → Friday (or Monday the 3rd)
  if (weekday === 1) return target === lastDay ? target - 2 : target + 1; // Sunday → Monday (or Friday)
  return target;
}
