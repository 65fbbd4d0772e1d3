import { describe, expect, it } from "vitest";
import { backfillDays, MAX_DAYS } from "./days.ts";
import { InvalidBackfillRange } from "./errors.ts";

describe("backfill days", () => {
  it("lists every day of the range, both ends included, with run_date in the dbt vars", () => {
    const days = backfillDays("2026-02-27", "2026-03-01", ["build", "--select", "marts"]);

    expect(days).toEqual([
      { day: "2026-02-27", dbtArgs: ["build", "--select", "marts", "--vars", '{"run_date":"2026-02-27"}'] },
      { day: "2026-02-28", dbtArgs: ["build", "--select", "marts", "--vars", '{"run_date":"2026-02-28"}'] },
      { day: "2026-03-01", dbtArgs: ["build", "--select", "marts", "--vars", '{"run_date":"2026-03-01"}'] },
    ]);
  });

  it("gives one day for a one-day range", () => {
    expect(backfillDays("2026-11-01", "2026-11-01", ["build"]).map((d) => d.day)).toEqual(["2026-11-01"]);
  });

  it("refuses reversed ranges and impossible dates", () => {
    expect(() => backfillDays("2026-11-02", "2026-11-01", [])).toThrow(InvalidBackfillRange);
    expect(() => backfillDays("2026-02-30", "2026-03-01", [])).toThrow(/not a date/);
  });

  it("plans a month, and refuses a longer range with how to split it (the run's timeout)", () => {
    expect(backfillDays("2026-01-01", "2026-01-31", [])).toHaveLength(MAX_DAYS);
    expect(() => backfillDays("2026-01-01", "2026-02-01", [])).toThrow(InvalidBackfillRange);
    expect(() => backfillDays("2025-01-01", "2025-12-31", [])).toThrow(
      "backfill of 365 days (2025-01-01 to 2025-12-31); at most 31 days per run",
    );
    expect(() => backfillDays("2025-01-01", "2025-12-31", [])).toThrow(/split the range/);
  });
});
