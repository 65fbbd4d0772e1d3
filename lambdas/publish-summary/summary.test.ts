import { describe, expect, it } from "vitest";
import { buildSummary, RunStateSchema, summaryKey } from "./summary.ts";

const finishedAt = new Date("2026-11-22T04:00:00Z");

describe("run summary", () => {
  it("summarises a regular run: dbt arguments, load counts and dbt node counts", () => {
    const run = RunStateSchema.parse({
      runId: "exec-1",
      dbtArgs: ["build"],
      load: { loaded: 3, skipped: 1 },
      dbt: { exitCode: 0 },
      quality: { passed: true, counts: { success: 5, pass: 12 } },
    });

    const summary = buildSummary("arn:exec-1", run, finishedAt);

    expect(summary).toEqual({
      runId: "exec-1",
      executionId: "arn:exec-1",
      finishedAt: "2026-11-22T04:00:00.000Z",
      dbtArgs: ["build"],
      load: { loaded: 3, skipped: 1 },
      dbtNodes: { success: 5, pass: 12 },
      days: [],
    });
    expect(summaryKey(summary.runId)).toBe("dbt/exec-1/summary.json");
  });

  it("adds up the dbt node counts of every day of a backfill", () => {
    const run = RunStateSchema.parse({
      runId: "exec-2",
      backfill: { from: "2026-11-01", to: "2026-11-02" },
      days: [
        { day: "2026-11-01", runId: "exec-2/2026-11-01", quality: { counts: { success: 2, warn: 1 } } },
        { day: "2026-11-02", runId: "exec-2/2026-11-02", quality: { counts: { success: 2 } } },
      ],
    });

    const summary = buildSummary("arn:exec-2", run, finishedAt);

    expect(summary.dbtNodes).toEqual({ success: 4, warn: 1 });
    expect(summary.days).toEqual(["2026-11-01", "2026-11-02"]);
  });
});
