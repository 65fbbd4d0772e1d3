/**
 * The aggregation itself, pure: a partition's state + a batch of votes → the next state.
 *
 * Definitions (per topic-partition, records taken in offset order):
 * - watermark = the highest event time seen so far;
 * - an event is FUTURE when its event time is past processing time + maxFutureSkew (a skewed
 *   clock): it goes into every total and `futureEvents`, never into a window, and doesn't move
 *   the watermark — a window of its own would sit in the state until the watermark caught up,
 *   so a skewed producer could grow the item without bound;
 * - an event is LATE when its event time < watermark − allowed lateness, the watermark being
 *   the one before that event; late events go into every total and `lateEvents`, never into
 *   a window;
 * - windows are tumbling, [start, start + windowSeconds); those ending before
 *   watermark − retention are dropped from the state, which keeps it bounded (the totals
 *   don't depend on windows, so they stay exact).
 * Records at or below the state's last offset were applied before and are skipped: that is
 * what makes a redelivered or overlapping batch change nothing twice. The votes given here are
 * the ones that count (one per voter, voter-claims.ts); the batch's duplicates and the votes of
 * unregistered voters come as counts, and votes released by a late registration as candidate
 * and state only (they go into the totals, not into a window: their event time is long past).
 */
import {
  MAX_CANDIDATE_IDS,
  type PartitionState,
  type VoteEvent,
  type WindowCounts,
  type WindowSettings,
} from "./types.ts";

export function emptyPartitionState(topic: string, partition: number, windowSeconds: number): PartitionState {
  return {
    topic,
    partition,
    lastOffset: -1,
    version: 0,
    totalVotes: 0,
    lateEvents: 0,
    futureEvents: 0,
    duplicateVotes: 0,
    candidates: {},
    candidateLocations: {},
    unlistedCandidateVotes: 0,
    unregisteredVoterVotes: 0,
    releasedVotes: 0,
    windowSeconds,
    windows: {},
    watermark: null,
    updatedAt: null,
  };
}

export interface BatchToApply {
  /** Valid votes of the batch, any order (they are applied in offset order). */
  readonly votes: readonly VoteEvent[];
  /**
   * The batch's highest offset, invalid records included: they are consumed too (land-records
   * quarantines them), so the stored offset moves past them.
   */
  readonly lastOffset: number;
  /** Votes of the batch left out as duplicates (voter-claims.ts), counted in the state. @default 0 */
  readonly duplicates?: number;
  /** Votes of the batch claimed for voters not registered yet (voter-claims.ts): in no total. @default 0 */
  readonly unregisteredVoters?: number;
  /** Earlier votes this batch released by registering their voters (voter-claims.ts). @default [] */
  readonly released?: readonly ReleasedVote[];
}

/** A vote counted late, when its voter's registration arrived: what the totals need of it. */
export interface ReleasedVote {
  readonly candidateId: string;
  readonly state: string;
}

export interface ApplyResult {
  readonly state: PartitionState;
  /** Votes of the batch that were new (offset above the state's last offset). */
  readonly applied: number;
  /** Of those, how many were late, and how many stamped too far in the future. */
  readonly late: number;
  readonly future: number;
  readonly duplicates: number;
  /** Votes claimed for voters not registered yet, and earlier ones released by a registration. */
  readonly unregisteredVoters: number;
  readonly released: number;
  /** False when the whole batch had been applied before: nothing to write. */
  readonly changed: boolean;
}

export function applyBatch(
  state: PartitionState,
  batch: BatchToApply,
  settings: WindowSettings,
  now: Date,
): ApplyResult {
  if (batch.lastOffset <= state.lastOffset) {
    return {
      state,
      applied: 0,
      late: 0,
      future: 0,
      duplicates: 0,
      unregisteredVoters: 0,
      released: 0,
      changed: false,
    };
  }
  const duplicates = batch.duplicates ?? 0;
  const unregisteredVoters = batch.unregisteredVoters ?? 0;
  const released = batch.released ?? [];
  const fresh = batch.votes.filter((v) => v.offset > state.lastOffset).sort((a, b) => a.offset - b.offset);
  const candidates = { ...state.candidates };
  const candidateLocations = { ...state.candidateLocations };
  let unlisted = 0;
  /** Adds a vote to the totals; false when it names one candidate id too many (unlisted). */
  const count = (vote: ReleasedVote): boolean => {
    if (!(vote.candidateId in candidates) && Object.keys(candidates).length >= MAX_CANDIDATE_IDS) {
      unlisted += 1;
      return false;
    }
    increment(candidates, vote.candidateId);
    const locations = { ...candidateLocations[vote.candidateId] };
    increment(locations, vote.state);
    candidateLocations[vote.candidateId] = locations;
    return true;
  };
  const releasedCounted = released.filter(count).length;
  const windows: Record<string, WindowCounts> = { ...state.windows };
  const windowMs = state.windowSeconds * 1000;
  const latenessMs = settings.allowedLatenessSeconds * 1000;
  const futureLimit = now.getTime() + settings.maxFutureSkewSeconds * 1000;
  let watermark = state.watermark;
  let late = 0;
  let future = 0;
  let freshCounted = 0;
  for (const vote of fresh) {
    if (!count(vote)) continue;
    freshCounted += 1;
    if (vote.eventTime > futureLimit) {
      future += 1;
      continue;
    }
    if (isLate(vote.eventTime, watermark, latenessMs)) {
      late += 1;
    } else {
      const start = String(windowStart(vote.eventTime, windowMs));
      const current = windows[start] ?? { votes: 0, byCandidate: {} };
      const byCandidate = { ...current.byCandidate };
      increment(byCandidate, vote.candidateId);
      windows[start] = { votes: current.votes + 1, byCandidate };
    }
    if (watermark === null || vote.eventTime > watermark) watermark = vote.eventTime;
  }
  const next: PartitionState = {
    ...state,
    lastOffset: batch.lastOffset,
    version: state.version + 1,
    totalVotes: state.totalVotes + freshCounted + releasedCounted,
    lateEvents: state.lateEvents + late,
    futureEvents: state.futureEvents + future,
    duplicateVotes: state.duplicateVotes + duplicates,
    unlistedCandidateVotes: state.unlistedCandidateVotes + unlisted,
    unregisteredVoterVotes: state.unregisteredVoterVotes + unregisteredVoters,
    releasedVotes: state.releasedVotes + released.length,
    candidates,
    candidateLocations,
    windows: retainWindows(windows, watermark, windowMs, settings.retentionSeconds * 1000),
    watermark,
    updatedAt:
      fresh.length + duplicates + unregisteredVoters + released.length > 0
        ? now.toISOString()
        : state.updatedAt,
  };
  return {
    state: next,
    applied: freshCounted + releasedCounted,
    late,
    future,
    duplicates,
    unregisteredVoters,
    released: released.length,
    changed: true,
  };
}

export function isLate(eventTime: number, watermark: number | null, latenessMs: number): boolean {
  return watermark !== null && eventTime < watermark - latenessMs;
}

/** Start of the tumbling window holding `time` (epoch ms), aligned to the epoch. */
export function windowStart(time: number, windowMs: number): number {
  return Math.floor(time / windowMs) * windowMs;
}

function retainWindows(
  windows: Record<string, WindowCounts>,
  watermark: number | null,
  windowMs: number,
  retentionMs: number,
): Record<string, WindowCounts> {
  if (watermark === null) return windows;
  const oldestEnd = watermark - retentionMs;
  return Object.fromEntries(
    Object.entries(windows).filter(([start]) => Number(start) + windowMs > oldestEnd),
  );
}

function increment(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}
