import { describe, expect, it } from "vitest";
import { ConfigError } from "../../core/config/index.ts";
import {
  applyBatch,
  DEFAULT_WINDOW_SETTINGS,
  emptyPartitionState,
  mergePartitions,
} from "../../core/realtime/index.ts";
import { totalsMessages } from "./publish.ts";
import { aggregateSettings } from "./settings.ts";

const NOW = new Date("2026-11-03T13:00:00Z");

function stateWith(partition: number, candidateIds: string[], batches = 1) {
  let state = emptyPartitionState("elections.votes", partition, 60);
  for (let b = 0; b < batches; b++) {
    const votes = candidateIds.map((candidateId, i) => ({
      offset: b * candidateIds.length + i,
      voterId: `voter-${b}-${i}`,
      candidateId,
      state: "Ohio",
      eventTime: Date.parse("2026-11-03T12:00:00Z"),
    }));
    state = applyBatch(
      state,
      { votes, lastOffset: (b + 1) * candidateIds.length - 1 },
      DEFAULT_WINDOW_SETTINGS,
      NOW,
    ).state;
  }
  return state;
}

describe("totalsMessages", () => {
  it("publishes every candidate and state keyed, stamped with a version that grows with every change", () => {
    // Prepare: partition 0 written twice (version 2), partition 1 once (version 1).
    const states = [stateWith(0, ["a", "b"], 2), stateWith(1, ["a"])];

    // Act
    const companion = {
      version: 5, // partition versions 2 + 1, and the 2 registered candidates
      updated_at: NOW.toISOString(),
      total_votes: 5,
      duplicate_votes: 0,
      rejected_votes: 0,
      unregistered_voter_votes: 0,
    };
    const [candidates, locations] = totalsMessages(mergePartitions(states, new Set(["a", "b"])), states);

    // Assess
    expect(candidates?.topic).toBe("aggregated_votes_per_candidate");
    expect(candidates?.messages.map((m) => [m.key, JSON.parse(m.value)])).toEqual([
      ["a", { candidate_id: "a", votes: 3, ...companion }],
      ["b", { candidate_id: "b", votes: 2, ...companion }],
    ]);
    expect(locations?.topic).toBe("aggregated_turnout_by_location");
    expect(locations?.messages.map((m) => [m.key, JSON.parse(m.value).votes])).toEqual([["Ohio", 5]]);
  });
});

describe("aggregateSettings", () => {
  it("defaults to one-minute windows, two minutes of allowed lateness and the pipeline-serving table", () => {
    expect(aggregateSettings({})).toEqual({
      tableName: "pipeline-serving",
      window: DEFAULT_WINDOW_SETTINGS,
      maxRecordBytes: 1024 * 1024,
    });
  });

  it("refuses a retention that would drop windows still open to on-time votes", () => {
    expect(() =>
      aggregateSettings({ ALLOWED_LATENESS_SECONDS: "600", WINDOW_RETENTION_SECONDS: "300" }),
    ).toThrow(ConfigError);
    expect(() => aggregateSettings({ WINDOW_SECONDS: "0" })).toThrow(ConfigError);
  });
});
