import { describe, expect, it } from "vitest";
import { leadersByState, stagesStatus, windowsCovered } from "./summaries.ts";

describe("leaders by state", () => {
  it("lists a tied state once, with both leaders, marked as a tie (regression: tied states were listed twice)", () => {
    // Prepare: the ranking gives tied candidates the same position.
    const rows = [
      { state: "Ohio", name: "Avery", votes: 10, position: 1 },
      { state: "Ohio", name: "Morgan", votes: 10, position: 1 },
      { state: "Ohio", name: "Riley", votes: 2, position: 3 },
      { state: "Utah", name: "Morgan", votes: 7, position: 1 },
      { state: "Utah", name: "Avery", votes: 5, position: 2 },
    ];

    // Act
    const leaders = leadersByState(rows);

    // Assess
    expect(leaders).toEqual([
      { state: "Ohio", leader: "Avery = Morgan", votes: 10, tie: true },
      { state: "Utah", leader: "Morgan", votes: 7, tie: false },
    ]);
  });
});

describe("the span the live windows cover", () => {
  it("names the first start and the last end, the window length and count", () => {
    const windows = [
      { start: "2026-12-01T10:05:00.000Z", end: "2026-12-01T10:06:00.000Z" },
      { start: "2026-12-01T11:04:00.000Z", end: "2026-12-01T11:05:00.000Z" },
    ];

    expect(windowsCovered(windows)).toEqual({ span: "2026-12-01 10:05–11:05 UTC", count: 2, minutes: 1 });
    expect(windowsCovered([])).toBeUndefined();
  });

  it("names the end's day when the windows cross midnight", () => {
    const windows = [
      { start: "2026-12-01T23:30:00.000Z", end: "2026-12-01T23:31:00.000Z" },
      { start: "2026-12-02T00:29:00.000Z", end: "2026-12-02T00:30:00.000Z" },
    ];

    expect(windowsCovered(windows)?.span).toBe("2026-12-01 23:30–2026-12-02 00:30 UTC");
  });
});

describe("the stage counts' status line", () => {
  it("says when the figures were read and that a newer read is under way (regression: an old snapshot looked current)", () => {
    const now = Date.parse("2026-12-01T10:05:00Z");

    const stale = stagesStatus(
      { readAt: "2026-12-01T10:00:00.000Z", reconciled: false, refreshing: true },
      now,
    );
    const fresh = stagesStatus(
      { readAt: "2026-12-01T10:04:58.000Z", reconciled: true, refreshing: false },
      now,
    );

    expect(stale).toBe(
      "Read at 10:00:00 UTC (5 min ago): some records not accounted for at that read (in flight or missing). Refreshing: a newer read is under way…",
    );
    expect(fresh).toBe("Read at 10:04:58 UTC (2 s ago): every record accounted for.");
  });
});
