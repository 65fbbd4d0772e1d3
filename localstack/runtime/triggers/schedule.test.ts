import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { assertValidSchedule, type ScheduledTask, Scheduler } from "./schedule.ts";

const MINUTE = 60_000;
const DAY = 86_400_000;

describe("Scheduler (fake clock)", () => {
  let scheduler: Scheduler;
  let fired: string[];

  beforeEach(() => {
    fired = [];
  });
  afterEach(() => {
    scheduler?.stop();
    vi.useRealTimers();
  });

  /** Starts the clock at `now`, adds the task, and records every fire's time. */
  function start(now: string, task: Omit<ScheduledTask, "id" | "run">, random = () => 0) {
    vi.useFakeTimers({ now: new Date(now) });
    scheduler = new Scheduler(() => {}, { random });
    scheduler.add({
      id: "TestSchedule",
      ...task,
      run: async () => {
        fired.push(new Date().toISOString());
      },
    });
  }

  it("runs a month step from January as AWS does (*/3 → Apr, Jul), not from 0 (Mar, Jun)", () => {
    start("2026-01-01T00:00:30Z", { expression: "cron(0 0 1 */3 ? *)" });
    vi.advanceTimersByTime(Date.parse("2026-03-01T00:01:00Z") - Date.now());
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(Date.parse("2026-07-01T00:01:00Z") - Date.now());
    expect(fired).toEqual(["2026-04-01T00:00:00.000Z", "2026-07-01T00:00:00.000Z"]);
  });

  it("understands day names (MON-FRI)", () => {
    start("2026-01-01T00:00:00Z", { expression: "cron(0 18 ? * MON-FRI *)" }); // a Thursday
    vi.advanceTimersByTime(5 * DAY);
    expect(fired).toEqual([
      "2026-01-01T18:00:00.000Z",
      "2026-01-02T18:00:00.000Z",
      "2026-01-05T18:00:00.000Z",
    ]);
  });

  it("honours ScheduleExpressionTimezone", () => {
    start("2026-01-01T00:00:00Z", { expression: "cron(0 9 * * ? *)", timezone: "Europe/Paris" });
    vi.advanceTimersByTime(DAY);
    expect(fired).toEqual(["2026-01-01T08:00:00.000Z"]);
  });

  it("fires a rate every period from start-up, and from StartDate when it has one", () => {
    start("2026-01-01T00:00:00Z", { expression: "rate(5 minutes)" });
    vi.advanceTimersByTime(11 * MINUTE);
    expect(fired).toEqual(["2026-01-01T00:05:00.000Z", "2026-01-01T00:10:00.000Z"]);
    scheduler.stop();
    fired = [];
    start("2026-01-01T00:00:00Z", {
      expression: "rate(5 minutes)",
      startDate: new Date("2026-01-01T00:02:00Z"),
      endDate: new Date("2026-01-01T00:08:00Z"),
    });
    vi.advanceTimersByTime(DAY);
    expect(fired).toEqual(["2026-01-01T00:02:00.000Z", "2026-01-01T00:07:00.000Z"]);
  });

  it("delays each fire inside the flexible time window; occurrences still count from the schedule", () => {
    start(
      "2026-01-01T00:00:00Z",
      {
        expression: "cron(0 * * * ? *)",
        flexibleTimeWindow: { mode: "FLEXIBLE", maximumWindowInMinutes: 10 },
      },
      () => 0.5,
    );
    vi.advanceTimersByTime(2 * 60 * MINUTE + 6 * MINUTE);
    expect(fired).toEqual(["2026-01-01T01:05:00.000Z", "2026-01-01T02:05:00.000Z"]);
  });

  it("runs at() once, even months ahead (beyond one setTimeout)", () => {
    start("2026-01-01T00:00:00Z", { expression: "at(2026-06-01T09:30:00)", timezone: "America/New_York" });
    vi.advanceTimersByTime(365 * DAY);
    expect(fired).toEqual(["2026-06-01T13:30:00.000Z"]);
  });

  it("fires nothing after stop()", () => {
    start("2026-01-01T00:00:00Z", { expression: "rate(1 minute)" });
    scheduler.stop();
    vi.advanceTimersByTime(10 * MINUTE);
    expect(fired).toEqual([]);
  });
});

describe("refused at deploy, as CreateSchedule refuses", () => {
  const refuse = (task: Parameters<typeof assertValidSchedule>[0]) => {
    const scheduler = new Scheduler(() => {});
    expect(() => scheduler.add({ ...task, run: async () => {} })).toThrow(
      expect.objectContaining({ name: "ValidationException" }),
    );
    try {
      assertValidSchedule(task);
    } catch (error) {
      return (error as Error).message;
    }
    return "accepted";
  };

  it("names the schedule and answers AWS's Invalid Schedule Expression", () => {
    expect(refuse({ id: "PipelineRunSchedule", expression: "cron(0 0 * * * *)" })).toMatch(
      /^schedule PipelineRunSchedule: ValidationException: Invalid Schedule Expression cron\(0 0 \* \* \* \*\)\./,
    );
    expect(refuse({ id: "Poller", expression: "rate(1 minutes)" })).toMatch(
      /Invalid Schedule Expression rate\(1 minutes\)/,
    );
  });

  it("refuses an unknown time zone, a flexible window without its size, EndDate before StartDate", () => {
    expect(refuse({ id: "S", expression: "rate(1 hour)", timezone: "Moon/Base" })).toMatch(
      /ScheduleExpressionTimezone Moon\/Base/,
    );
    expect(refuse({ id: "S", expression: "rate(1 hour)", flexibleTimeWindow: { mode: "FLEXIBLE" } })).toMatch(
      /MaximumWindowInMinutes/,
    );
    expect(
      refuse({
        id: "S",
        expression: "rate(1 hour)",
        flexibleTimeWindow: { mode: "FLEXIBLE", maximumWindowInMinutes: 1441 },
      }),
    ).toMatch(/1 to 1440/);
    expect(
      refuse({
        id: "S",
        expression: "rate(1 hour)",
        startDate: new Date("2026-02-01T00:00:00Z"),
        endDate: new Date("2026-01-01T00:00:00Z"),
      }),
    ).toMatch(/EndDate must be after StartDate/);
  });
});
