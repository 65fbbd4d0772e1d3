import { describe, expect, it } from "vitest";
import { applyBatch, emptyPartitionState } from "./aggregate.ts";
import { mergePartitions } from "./live-results.ts";
import { DEFAULT_WINDOW_SETTINGS } from "./types.ts";

const T0 = Date.parse("2026-11-03T12:00:00Z");
const NOW = new Date(T0 + 3_600_000);

function partitionWith(partition: number, votes: [string, string, number][]) {
  const events = votes.map(([candidateId, state, seconds], offset) => ({
    offset,
    voterId: `voter-${partition}-${offset}`,
    candidateId,
    state,
    eventTime: T0 + seconds * 1000,
  }));
  return applyBatch(
    emptyPartitionState("elections.votes", partition, 60),
    { votes: events, lastOffset: events.length - 1 },
    DEFAULT_WINDOW_SETTINGS,
    NOW,
  ).state;
}

describe("mergePartitions", () => {
  it("sums partitions: totals sorted by votes, windows merged by start, the lowest watermark", () => {
    // Prepare
    const p0 = partitionWith(0, [
      ["a", "Ohio", 10],
      ["b", "Ohio", 70],
      ["b", "Iowa", 75],
    ]);
    const p1 = partitionWith(1, [
      ["b", "Iowa", 20],
      ["c", "Utah", 30],
    ]);

    // Act
    const live = mergePartitions([p0, p1], new Set(["a", "b", "c"]));

    // Assess
    expect(live.candidates).toEqual([
      { candidateId: "b", votes: 3 },
      { candidateId: "a", votes: 1 },
      { candidateId: "c", votes: 1 },
    ]);
    expect(live.locations).toEqual([
      { state: "Iowa", votes: 2 },
      { state: "Ohio", votes: 2 },
      { state: "Utah", votes: 1 },
    ]);
    expect(live.windows).toEqual([
      {
        start: "2026-11-03T12:00:00.000Z",
        end: "2026-11-03T12:01:00.000Z",
        votes: 3,
        byCandidate: { a: 1, b: 1, c: 1 },
      },
      { start: "2026-11-03T12:01:00.000Z", end: "2026-11-03T12:02:00.000Z", votes: 2, byCandidate: { b: 2 } },
    ]);
    expect(live.totalVotes).toBe(5);
    expect(live.lateEvents).toBe(0);
    expect(live.watermark).toBe("2026-11-03T12:00:30.000Z");
    expect(live.updatedAt).toBe(NOW.toISOString());
  });

  it("is empty with null times before the first vote", () => {
    expect(mergePartitions([], new Set())).toEqual({
      candidates: [],
      locations: [],
      windows: [],
      totalVotes: 0,
      lateEvents: 0,
      futureEvents: 0,
      duplicateVotes: 0,
      rejectedVotes: 0,
      unregisteredVoterVotes: 0,
      unknownCandidates: [],
      watermark: null,
      updatedAt: null,
    });
  });

  it("counts only registered candidates: the others' votes are rejected, in no total, window or location", () => {
    // Prepare: "x" is not registered; "c" is registered but has no votes.
    const p0 = partitionWith(0, [
      ["a", "Ohio", 10],
      ["x", "Ohio", 20],
      ["x", "Iowa", 75],
    ]);

    // Act
    const live = mergePartitions([p0], new Set(["a", "c"]));

    // Assess
    expect(live.candidates).toEqual([
      { candidateId: "a", votes: 1 },
      { candidateId: "c", votes: 0 },
    ]);
    expect(live.locations).toEqual([{ state: "Ohio", votes: 1 }]);
    expect(live.windows.map((w) => [w.votes, w.byCandidate])).toEqual([
      [1, { a: 1 }],
      [0, {}],
    ]);
    expect([live.totalVotes, live.rejectedVotes]).toEqual([1, 2]);
    expect(live.unknownCandidates).toEqual([{ candidateId: "x", votes: 2 }]);
  });

  it("holds unregistered voters' votes apart until a registration on another partition releases them", () => {
    // Prepare: votes partition 0 claimed 3 votes of unregistered voters; voters partition 1
    // registered two of those voters later and released their votes.
    const votes = applyBatch(
      emptyPartitionState("elections.votes", 0, 60),
      { votes: [], lastOffset: 2, unregisteredVoters: 3 },
      DEFAULT_WINDOW_SETTINGS,
      NOW,
    ).state;
    const voters = applyBatch(
      emptyPartitionState("elections.voters", 1, 60),
      {
        votes: [],
        lastOffset: 7,
        released: [
          { candidateId: "a", state: "Ohio" },
          { candidateId: "a", state: "Iowa" },
        ],
      },
      DEFAULT_WINDOW_SETTINGS,
      NOW,
    ).state;

    // Act
    const before = mergePartitions([votes], new Set(["a"]));
    const after = mergePartitions([votes, voters], new Set(["a"]));

    // Assess: released votes are in the totals and locations, never in a window
    expect([before.totalVotes, before.rejectedVotes, before.unregisteredVoterVotes]).toEqual([0, 3, 3]);
    expect([after.totalVotes, after.rejectedVotes, after.unregisteredVoterVotes]).toEqual([2, 1, 1]);
    expect(after.candidates).toEqual([{ candidateId: "a", votes: 2 }]);
    expect(after.locations).toEqual([
      { state: "Iowa", votes: 1 },
      { state: "Ohio", votes: 1 },
    ]);
    expect(after.windows).toEqual([]);
  });

  it("never shows a negative count while a release is written before the claim it releases", () => {
    const voters = applyBatch(
      emptyPartitionState("elections.voters", 0, 60),
      { votes: [], lastOffset: 0, released: [{ candidateId: "a", state: "Ohio" }] },
      DEFAULT_WINDOW_SETTINGS,
      NOW,
    ).state;
    const live = mergePartitions([voters], new Set(["a"]));
    expect([live.totalVotes, live.rejectedVotes, live.unregisteredVoterVotes]).toEqual([1, 0, 0]);
  });
});
