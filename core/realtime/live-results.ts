/**
 * Partition states → the one view the dashboard shows: totals summed over partitions,
 * windows merged by start. The reported watermark is the LOWEST partition watermark: event
 * time up to which every partition that has data is complete.
 */
import type { LiveResults, PartitionState } from "./types.ts";

export function mergePartitions(states: readonly PartitionState[]): LiveResults {
  const candidates = new Map<string, number>();
  const locations = new Map<string, number>();
  const windows = new Map<number, { end: number; votes: number; byCandidate: Map<string, number> }>();
  let watermark: number | null = null;
  let updatedAt: string | null = null;
  for (const state of states) {
    addAll(candidates, state.candidates);
    addAll(locations, state.locations);
    for (const [key, counts] of Object.entries(state.windows)) {
      const start = Number(key);
      const window = windows.get(start) ?? {
        end: start + state.windowSeconds * 1000,
        votes: 0,
        byCandidate: new Map<string, number>(),
      };
      window.votes += counts.votes;
      addAll(window.byCandidate, counts.byCandidate);
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
    totalVotes: states.reduce((total, s) => total + s.totalVotes, 0),
    lateEvents: states.reduce((total, s) => total + s.lateEvents, 0),
    futureEvents: states.reduce((total, s) => total + s.futureEvents, 0),
    duplicateVotes: states.reduce((total, s) => total + s.duplicateVotes, 0),
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
