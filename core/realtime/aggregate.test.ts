import { describe, expect, it } from "vitest";
import { applyBatch, emptyPartitionState, windowStart } from "./aggregate.ts";
import { DEFAULT_WINDOW_SETTINGS, MAX_CANDIDATE_IDS, type VoteEvent, type WindowSettings } from "./types.ts";

const T0 = Date.parse("2026-11-03T12:00:00Z");
const MINUTE = 60_000;
const NOW = new Date(T0 + 60 * MINUTE);
const settings: WindowSettings = {
  ...DEFAULT_WINDOW_SETTINGS,
  allowedLatenessSeconds: 120,
  retentionSeconds: 600,
};

function vote(offset: number, minutes: number, candidateId = "c1", state = "Ohio"): VoteEvent {
  return { offset, voterId: `voter-${offset}`, candidateId, state, eventTime: T0 + minutes * MINUTE };
}

const empty = () => emptyPartitionState("elections.votes", 0, settings.windowSeconds);

describe("applyBatch", () => {
  it("counts votes per candidate, per state and per one-minute window", () => {
    // Prepare
    const votes = [vote(0, 0.1, "c1", "Ohio"), vote(1, 0.5, "c2", "Ohio"), vote(2, 1.2, "c1", "Texas")];

    // Act
    const { state, applied } = applyBatch(empty(), { votes, lastOffset: 2 }, settings, NOW);

    // Assess
    expect(applied).toBe(3);
    expect(state).toMatchObject({
      lastOffset: 2,
      version: 1,
      totalVotes: 3,
      lateEvents: 0,
      candidates: { c1: 2, c2: 1 },
      candidateLocations: { c1: { Ohio: 1, Texas: 1 }, c2: { Ohio: 1 } },
      watermark: T0 + 1.2 * MINUTE,
      updatedAt: NOW.toISOString(),
    });
    expect(state.windows).toEqual({
      [String(T0)]: { votes: 2, byCandidate: { c1: 1, c2: 1 } },
      [String(T0 + MINUTE)]: { votes: 1, byCandidate: { c1: 1 } },
    });
  });

  it("changes nothing when the same batch is applied again", () => {
    // Prepare
    const batch = { votes: [vote(0, 0), vote(1, 0.5)], lastOffset: 1 };
    const once = applyBatch(empty(), batch, settings, NOW).state;

    // Act
    const twice = applyBatch(once, batch, settings, NOW);

    // Assess
    expect(twice.changed).toBe(false);
    expect(twice.state).toBe(once);
  });

  it("applies only the offsets above the last applied one from an overlapping batch", () => {
    // Prepare
    const first = applyBatch(
      empty(),
      { votes: [vote(0, 0), vote(1, 0.2)], lastOffset: 1 },
      settings,
      NOW,
    ).state;

    // Act
    const { state, applied } = applyBatch(
      first,
      { votes: [vote(1, 0.2), vote(2, 0.3, "c2"), vote(3, 0.4, "c2")], lastOffset: 3 },
      settings,
      NOW,
    );

    // Assess
    expect(applied).toBe(2);
    expect(state.candidates).toEqual({ c1: 2, c2: 2 });
    expect(state.totalVotes).toBe(4);
    expect(state.lastOffset).toBe(3);
  });

  it("moves the offset past invalid records that carry no vote", () => {
    // Act: offsets 5-7 were invalid (not votes); only offset 4 is a vote.
    const { state } = applyBatch(empty(), { votes: [vote(4, 0)], lastOffset: 7 }, settings, NOW);

    // Assess
    expect(state.lastOffset).toBe(7);
    expect(state.totalVotes).toBe(1);
  });

  it("counts a vote older than watermark − allowed lateness as late: in the totals, not in a window", () => {
    // Prepare: the watermark reaches minute 10; lateness 2 minutes → minute 8 is the limit.
    const before = applyBatch(empty(), { votes: [vote(0, 10)], lastOffset: 0 }, settings, NOW).state;

    // Act: one vote at minute 7.9 (late) and one at minute 8.5 (on time, its window still open).
    const { state, late } = applyBatch(
      before,
      { votes: [vote(1, 7.9, "c2", "Utah"), vote(2, 8.5, "c2")], lastOffset: 2 },
      settings,
      NOW,
    );

    // Assess
    expect(late).toBe(1);
    expect(state.lateEvents).toBe(1);
    expect(state.candidates).toEqual({ c1: 1, c2: 2 });
    expect(state.candidateLocations).toEqual({ c1: { Ohio: 1 }, c2: { Utah: 1, Ohio: 1 } });
    expect(state.windows[String(T0 + 7 * MINUTE)]).toBeUndefined();
    expect(state.windows[String(T0 + 8 * MINUTE)]).toEqual({ votes: 1, byCandidate: { c2: 1 } });
    const windowed = Object.values(state.windows).reduce((n, w) => n + w.votes, 0);
    expect(windowed + state.lateEvents).toBe(state.totalVotes);
  });

  it("judges lateness record by record in offset order, with the watermark before each record", () => {
    // Act: offset 0 at minute 10 raises the watermark, so offset 1 at minute 1 is late, even in one batch.
    const { state } = applyBatch(empty(), { votes: [vote(1, 1), vote(0, 10)], lastOffset: 1 }, settings, NOW);

    // Assess
    expect(state.lateEvents).toBe(1);
  });

  it("drops windows older than the retention but keeps the totals exact", () => {
    // Prepare
    const early = applyBatch(
      empty(),
      { votes: [vote(0, 0), vote(1, 1)], lastOffset: 1 },
      settings,
      NOW,
    ).state;

    // Act: the watermark jumps 30 minutes; retention is 10 minutes.
    const { state } = applyBatch(early, { votes: [vote(2, 30)], lastOffset: 2 }, settings, NOW);

    // Assess
    expect(Object.keys(state.windows)).toEqual([String(T0 + 30 * MINUTE)]);
    expect(state.totalVotes).toBe(3);
    expect(state.candidates).toEqual({ c1: 3 });
  });

  it("doesn't let an event time past now + max skew move the watermark", () => {
    // Act: a vote dated a day ahead of the processing time, then a normal one.
    const { state } = applyBatch(
      empty(),
      { votes: [vote(0, 24 * 60 + 60), vote(1, 5)], lastOffset: 1 },
      settings,
      NOW,
    );

    // Assess
    expect(state.watermark).toBe(T0 + 5 * MINUTE);
    expect(state.lateEvents).toBe(0);
    expect(state.totalVotes).toBe(2);
  });

  it("counts future-dated votes in the totals and keeps them out of the windows, so the state stays bounded", () => {
    // Act: a skewed producer stamping every vote a different day ahead.
    const skewed = Array.from({ length: 50 }, (_, i) => vote(i, (i + 2) * 24 * 60, "c2", "Utah"));
    const { state, future } = applyBatch(
      empty(),
      { votes: [...skewed, vote(50, 5)], lastOffset: 50 },
      settings,
      NOW,
    );

    // Assess: one window (the normal vote's), every vote counted.
    expect(future).toBe(50);
    expect(state.futureEvents).toBe(50);
    expect(Object.keys(state.windows)).toEqual([String(T0 + 5 * MINUTE)]);
    expect(state.totalVotes).toBe(51);
    expect(state.candidates).toEqual({ c1: 1, c2: 50 });
    expect(state.candidateLocations).toEqual({ c1: { Ohio: 1 }, c2: { Utah: 50 } });
  });
});

describe("windowStart", () => {
  it("aligns tumbling windows to the epoch", () => {
    expect(windowStart(T0 + 59_999, MINUTE)).toBe(T0);
    expect(windowStart(T0 + MINUTE, MINUTE)).toBe(T0 + MINUTE);
  });

  it("keeps counts for at most MAX_CANDIDATE_IDS candidate ids; votes naming more are unlisted, in no total", () => {
    // Prepare: a producer naming a new candidate id in every vote.
    const votes = Array.from({ length: MAX_CANDIDATE_IDS + 5 }, (_, i) => vote(i, 1, `c${i}`));

    // Act
    const { state, applied } = applyBatch(empty(), { votes, lastOffset: votes.length - 1 }, settings, NOW);

    // Assess
    expect(Object.keys(state.candidates)).toHaveLength(MAX_CANDIDATE_IDS);
    expect(state.unlistedCandidateVotes).toBe(5);
    expect([applied, state.totalVotes]).toEqual([MAX_CANDIDATE_IDS, MAX_CANDIDATE_IDS]);
    expect(state.lastOffset).toBe(votes.length - 1);
  });
});
