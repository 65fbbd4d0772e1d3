/**
 * EventBridge Scheduler schedules offline, with AWS's semantics (core/schedule): each schedule
 * arms one timer for its next fire time in its time zone, between StartDate and EndDate,
 * delayed by a random offset inside its flexible time window as AWS does. An expression AWS
 * would refuse is refused by `add`, i.e. at deploy.
 *
 * One deliberate difference: a rate schedule without StartDate fires first one period after
 * the runtime starts, where AWS fires when the schedule is created. Offline every start is a
 * deploy, and AWS doesn't re-create an unchanged schedule on a re-deploy.
 */
import {
  nextFireTime,
  type ParsedSchedule,
  parseScheduleExpression,
  validateTimezone,
} from "../../../core/schedule/expression.ts";

export interface FlexibleTimeWindow {
  readonly mode: "OFF" | "FLEXIBLE";
  /** 1–1440 when the mode is FLEXIBLE. */
  readonly maximumWindowInMinutes?: number;
}

export interface ScheduledTask {
  readonly id: string;
  readonly expression: string;
  /** One fire; `scheduledTime` is the occurrence it is for (before any flexible-window delay). */
  readonly run: (scheduledTime: Date) => Promise<void>;
  /** ScheduleExpressionTimezone: an IANA name; UTC when absent. */
  readonly timezone?: string;
  readonly startDate?: Date;
  readonly endDate?: Date;
  readonly flexibleTimeWindow?: FlexibleTimeWindow;
}

/** The largest delay setTimeout keeps (about 24.8 days); longer waits are re-armed in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Throws what CreateSchedule would answer (a ValidationException) for this schedule, with the
 * schedule's id in the message; returns the parsed expression otherwise.
 */
export function assertValidSchedule(
  task: Pick<
    ScheduledTask,
    "id" | "expression" | "timezone" | "flexibleTimeWindow" | "startDate" | "endDate"
  >,
): ParsedSchedule {
  try {
    const parsed = parseScheduleExpression(task.expression);
    if (task.timezone !== undefined) validateTimezone(task.timezone);
    const window = task.flexibleTimeWindow;
    if (window?.mode === "FLEXIBLE") {
      const minutes = window.maximumWindowInMinutes;
      if (minutes === undefined || !Number.isInteger(minutes) || minutes < 1 || minutes > 1440)
        throw validationError(
          "FlexibleTimeWindow: MaximumWindowInMinutes must be a whole number from 1 to 1440 when the mode is FLEXIBLE",
        );
    }
    for (const [name, date] of [
      ["StartDate", task.startDate],
      ["EndDate", task.endDate],
    ] as const)
      if (date && Number.isNaN(date.getTime())) throw validationError(`${name} is not a date`);
    if (task.startDate && task.endDate && task.endDate <= task.startDate)
      throw validationError("EndDate must be after StartDate");
    return parsed;
  } catch (error) {
    const cause = error as Error;
    const refused = new Error(`schedule ${task.id}: ${cause.name}: ${cause.message}`, { cause });
    refused.name = cause.name;
    throw refused;
  }
}

function validationError(message: string): Error {
  const error = new Error(message);
  error.name = "ValidationException";
  return error;
}

export class Scheduler {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly log: (message: string) => void;
  private readonly random: () => number;
  private stopped = false;

  /** `random` picks the offset inside a flexible window (injectable for tests). */
  constructor(log: (message: string) => void, options: { random?: () => number } = {}) {
    this.log = log;
    this.random = options.random ?? Math.random;
  }

  add(task: ScheduledTask): void {
    const parsed = assertValidSchedule(task);
    this.stopped = false;
    const timezone = task.timezone ?? "UTC";
    const window = { startDate: task.startDate, endDate: task.endDate };
    const flexibleMs =
      task.flexibleTimeWindow?.mode === "FLEXIBLE"
        ? (task.flexibleTimeWindow.maximumWindowInMinutes ?? 0) * 60_000
        : 0;

    const armAfter = (after: Date) => {
      const next = nextFireTime(parsed, after, timezone, window);
      if (!next) {
        this.log(`schedule ${task.id}: no fire time left for ${task.expression}`);
        return;
      }
      // AWS invokes at some moment inside the window; the next occurrence still counts from `next`.
      const fireAt = next.getTime() + Math.floor(this.random() * flexibleMs);
      this.wait(fireAt, () => {
        task.run(next).catch((error: Error) => this.log(`schedule ${task.id} failed: ${error.message}`));
        armAfter(next);
      });
    };
    armAfter(new Date());
  }

  /** Whether {@link stop} was called (a delivery still retrying gives up then). */
  get isStopped(): boolean {
    return this.stopped;
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private wait(atMs: number, then: () => void): void {
    if (this.stopped) return;
    const delay = atMs - Date.now();
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        if (delay > MAX_TIMER_MS) this.wait(atMs, then);
        else if (!this.stopped) then();
      },
      Math.max(0, Math.min(delay, MAX_TIMER_MS)),
    ).unref();
    this.timers.add(timer);
  }
}
