/**
 * Wall-clock time in an IANA time zone, with nothing but Intl: an instant's local fields, and
 * the instants a local time stands for (none in a spring-forward gap, two in a fall-back hour).
 */

export interface WallClock {
  readonly year: number;
  /** 1–12 */
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timezone: string): Intl.DateTimeFormat {
  let f = formatters.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: timezone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(timezone, f);
  }
  return f;
}

/** True for a time zone name Intl knows; offsets such as "+01:00" are not IANA names and are refused. */
export function isTimezone(timezone: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(timezone)) return false;
  try {
    formatter(timezone);
    return true;
  } catch {
    return false;
  }
}

export function wallClockOf(instantMs: number, timezone: string): WallClock {
  const parts: Record<string, number> = {};
  for (const p of formatter(timezone).formatToParts(new Date(instantMs)))
    if (p.type !== "literal") parts[p.type] = Number(p.value);
  return {
    year: parts.year ?? 0,
    month: parts.month ?? 0,
    day: parts.day ?? 0,
    hour: parts.hour ?? 0,
    minute: parts.minute ?? 0,
    second: parts.second ?? 0,
  };
}

/** The wall clock read as if it were UTC, in ms: the arithmetic form of a local time. */
export function wallClockMs(w: WallClock): number {
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
}

const DAY_MS = 86_400_000;

/**
 * The instants at which the zone's clocks show `w`, earliest first: [] inside a spring-forward
 * gap, two inside a fall-back hour. Offsets are taken a day either side, so one transition
 * near `w` is handled (zones never change twice within two days).
 */
export function instantsOf(w: WallClock, timezone: string): number[] {
  const local = wallClockMs(w);
  const offsets = new Set<number>();
  for (const probe of [local - DAY_MS, local + DAY_MS])
    offsets.add(wallClockMs(wallClockOf(probe, timezone)) - probe);
  const instants: number[] = [];
  for (const offset of offsets) {
    const instant = local - offset;
    if (wallClockMs(wallClockOf(instant, timezone)) === local) instants.push(instant);
  }
  return instants.sort((a, b) => a - b);
}
