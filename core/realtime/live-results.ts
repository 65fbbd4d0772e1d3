/**
 * Partition states → the one view the dashboard shows: totals summed over partitions,
 * windows merged by start. The reported watermark is the LOWEST partition watermark: event
 * time up to which every partition that has data is complete.
 *
 * Only votes for registered candidates are in a total (candidates, locations, windows,
 * totalVotes); votes naming any other candidate id are `rejectedVotes`, listed by id in
 * `unknownCandidates`. Registration is read with the states, so a vote that arrived before its
 * candidate's record counts as soon as the record is in — the rule of the gold layer
 * (election_rejected_votes). Votes of voters not registered yet are rejected votes too
 * (`unregisteredVoterVotes`: claimed unregistered minus released, voter-claims.ts).
 */
import type { LiveResults, PartitionState } from "./types.ts";

/**
 * @param registered the registered candidate ids (candidate-registry.ts); every one is listed,
 *   with 0 votes if it has none
 */
export function mergePartitions(
  states: readonly PartitionState[],
  registered: ReadonlySet<string>,
): LiveResults {
  const candidates = new Map<string, number>([...registered].map((id) => [id, 0]));
  const unknown = new Map<string, number>();
  const locations = new Map<string, number>();
  const windows = new Map<number, { end: number; votes: number; byCandidate: Map<string, number> }>();
  let watermark: number | null = null;
  let updatedAt: string | null = null;
  let rejected = 0;
  let unregisteredVoters = 0;
  for (const state of states) {
    for (const [candidateId, votes] of Object.entries(state.candidates)) {
      if (!registered.has(candidateId)) {
        unknown.set(candidateId, (unknown.get(candidateId) ?? 0) + votes);
        rejected += votes;
        continue;
      }
      candidates.set(candidateId, (candidates.get(candidateId) ?? 0) + votes);
      addAll(locations, state.candidateLocations[candidateId] ?? {});
    }
    rejected += state.unlistedCandidateVotes;
    unregisteredVoters += state.unregisteredVoterVotes - state.releasedVotes;
    for (const [key, counts] of Object.entries(state.windows)) {
      const start = Number(key);
      const window = windows.get(start) ?? {
        end: start + state.windowSeconds * 1000,
        votes: 0,
        byCandidate: new Map<string, number>(),
      };
      for (const [candidateId, votes] of Object.entries(counts.byCandidate)) {
        if (!registered.has(candidateId)) continue;
        window.votes += votes;
        window.byCandidate.set(candidateId, (window.byCandidate.get(candidateId) ?? 0) + votes);
      }
      windows.set(start, window);
    }
    if (state.watermark !== null && (watermark === null || state.watermark < watermark)) {
      watermark = state.watermark;
    }
    if (state.updatedAt !== null && (updatedAt === null || state.updatedAt > updatedAt)) {
      updatedAt = state.updatedAt;
    }
  }
  return {
    candidates: byVotesDesc(candidates).map(([candidateId, votes]) => ({ candidateId, votes })),
    locations: byVotesDesc(locations).map(([state, votes]) => ({ state, votes })),
    windows: [...windows.entries()]
      .sort(([a], [b]) => a - b)
      .map(([start, w]) => ({
        start: new Date(start).toISOString(),
        end: new Date(w.end).toISOString(),
        votes: w.votes,
        byCandidate: Object.fromEntries(w.byCandidate),
      })),
    totalVotes: [...candidates.values()].reduce((total, votes) => total + votes, 0),
    lateEvents: states.reduce((total, s) => total + s.lateEvents, 0),
    futureEvents: states.reduce((total, s) => total + s.futureEvents, 0),
    duplicateVotes: states.reduce((total, s) => total + s.duplicateVotes, 0),
    // A release can be written before the claim it releases (another partition): never below 0.
    rejectedVotes: rejected + Math.max(0, unregisteredVoters),
    unregisteredVoterVotes: Math.max(0, unregisteredVoters),
    unknownCandidates: byVotesDesc(unknown).map(([candidateId, votes]) => ({ candidateId, votes })),
    watermark: watermark === null ? null : new Date(watermark).toISOString(),
    updatedAt,
  };
}

function addAll(into: Map<string, number>, counts: Readonly<Record<string, number>>): void {
  for (const [key, n] of Object.entries(counts)) into.set(key, (into.get(key) ?? 0) + n);
}

/** Votes descending, then key ascending so ties read the same every time. */
function byVotesDesc(counts: Map<string, number>): [string, number][] {
  return [...counts.entries()].sort(([ka, a], [kb, b]) => b - a || (ka < kb ? -1 : ka > kb ? 1 : 0));
}
