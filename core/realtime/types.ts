/** Shapes of the real-time aggregates: one partition's state (what the store holds) and the merged view. */

import { ELECTIONS_TOPICS } from "../datasets/elections/topics.ts";

/** The topic whose votes are aggregated. */
export const VOTES_TOPIC = ELECTIONS_TOPICS.votes;
/** The topic whose candidate records register the candidates the live totals count. */
export const CANDIDATES_TOPIC = ELECTIONS_TOPICS.candidates;
/** The topic whose voter records register the voters whose votes the live totals count. */
export const VOTERS_TOPIC = ELECTIONS_TOPICS.voters;

/** How votes are grouped in event time. */
export interface WindowSettings {
  /** Tumbling window length. @default 60 */
  readonly windowSeconds: number;
  /** How far behind the watermark an event may be and still enter its window. @default 120 */
  readonly allowedLatenessSeconds: number;
  /** Windows ending more than this before the watermark are dropped from the state (totals stay exact). @default 3600 */
  readonly retentionSeconds: number;
  /** An event time further than this past the processing time doesn't move the watermark (clock skew). @default 300 */
  readonly maxFutureSkewSeconds: number;
}

export const DEFAULT_WINDOW_SETTINGS: WindowSettings = {
  windowSeconds: 60,
  allowedLatenessSeconds: 120,
  retentionSeconds: 3600,
  maxFutureSkewSeconds: 300,
};

/** One tumbling window's counts. */
export interface WindowCounts {
  readonly votes: number;
  readonly byCandidate: Readonly<Record<string, number>>;
}

/**
 * Everything applied so far from one topic-partition. The store keeps it as ONE item, so the
 * last applied offset changes atomically with the counts it accounts for.
 */
export interface PartitionState {
  readonly topic: string;
  readonly partition: number;
  /** Highest offset applied; -1 before the first batch. */
  readonly lastOffset: number;
  /** Increments on every write; the store's optimistic-concurrency token. 0 = never written. */
  readonly version: number;
  readonly totalVotes: number;
  readonly lateEvents: number;
  /** Events stamped past processing time + maxFutureSkew: in every total, in no window. */
  readonly futureEvents: number;
  /** Votes of voters whose first vote was already counted (voter-claims.ts): in no total. */
  readonly duplicateVotes: number;
  /**
   * Counted votes per candidate id as the votes name it, registered or not: whether a candidate
   * is registered is decided when the totals are read (live-results.ts), so a vote that arrives
   * before its candidate's record counts once the record is in — as in the gold layer.
   */
  readonly candidates: Readonly<Record<string, number>>;
  /** The same votes per candidate id, then per the vote's state (turnout by location). */
  readonly candidateLocations: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /**
   * Votes naming a candidate id beyond the first MAX_CANDIDATE_IDS of this partition: a bad
   * producer can't grow the item past DynamoDB's 400 KB; they are rejected votes, in no total.
   */
  readonly unlistedCandidateVotes: number;
  /**
   * Votes this partition claimed for a voter not registered at the time (voter-claims.ts): in no
   * total until the voter's record arrives and releases them (`releasedVotes`, on any partition).
   */
  readonly unregisteredVoterVotes: number;
  /**
   * Votes of voters registered after their vote was claimed, counted by this partition when it
   * saw the registration (voters partitions) or re-read it (votes partitions): in the totals
   * (candidates, locations, totalVotes), in no window.
   */
  readonly releasedVotes: number;
  /** Length of the windows below, so a reader needs no settings to show them. */
  readonly windowSeconds: number;
  /** Window start (epoch ms, as a string key) → counts; only windows within the retention. */
  readonly windows: Readonly<Record<string, WindowCounts>>;
  /** Highest event time (epoch ms) seen on this partition, the watermark; null before the first vote. */
  readonly watermark: number | null;
  /** Wall-clock time (ISO) of the last change, null before the first vote. */
  readonly updatedAt: string | null;
}

/** One vote as the aggregation needs it, with the offset it came from. */
export interface VoteEvent {
  readonly offset: number;
  readonly voterId: string;
  readonly candidateId: string;
  readonly state: string;
  /** Event time, epoch ms. */
  readonly eventTime: number;
}

/** Distinct candidate ids one partition's state keeps counts for (see unlistedCandidateVotes). */
export const MAX_CANDIDATE_IDS = 50;

export interface LiveResults {
  /**
   * Running totals over every counted vote (late ones included) for a registered candidate,
   * sorted by votes desc; registered candidates without votes are listed with 0.
   */
  readonly candidates: readonly { readonly candidateId: string; readonly votes: number }[];
  /** Turnout: those votes per voter state (the vote record's `state`), sorted by votes desc. */
  readonly locations: readonly { readonly state: string; readonly votes: number }[];
  /** Event-time windows (tumbling, e.g. 1 minute), ascending by start; late events excluded. */
  readonly windows: readonly {
    readonly start: string; // ISO 8601
    readonly end: string;
    readonly votes: number;
    readonly byCandidate: Readonly<Record<string, number>>;
  }[];
  readonly totalVotes: number;
  /** Events later than watermark − allowed lateness: counted here, kept out of `windows`. */
  readonly lateEvents: number;
  /** Events stamped too far in the future (clock skew): counted here, kept out of `windows`. */
  readonly futureEvents: number;
  /** Votes delivered again or cast again by a voter already counted: in no total. */
  readonly duplicateVotes: number;
  /**
   * Votes set apart, in no total: for a candidate that is not registered (yet), or from a voter
   * who is not registered (yet) — `unregisteredVoterVotes` of them.
   */
  readonly rejectedVotes: number;
  /** Of the rejected votes, those whose voter is not registered (yet). */
  readonly unregisteredVoterVotes: number;
  /** The unregistered candidate ids those votes name, with their votes, most first. */
  readonly unknownCandidates: readonly { readonly candidateId: string; readonly votes: number }[];
  readonly watermark: string | null;
  /** When the totals last changed (ISO), null before the first vote. */
  readonly updatedAt: string | null;
}
