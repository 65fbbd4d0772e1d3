/** Shapes of the real-time aggregates: one partition's state (what the store holds) and the merged view. */

/** The topic whose votes are aggregated. */
export const VOTES_TOPIC = "elections.votes";

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
  readonly candidates: Readonly<Record<string, number>>;
  readonly locations: Readonly<Record<string, number>>;
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

export interface LiveResults {
  /** Running totals over every vote applied so far (late ones included), sorted by votes desc. */
  readonly candidates: readonly { readonly candidateId: string; readonly votes: number }[];
  /** Turnout: votes per voter state (the vote record's `state`), sorted by votes desc. */
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
  readonly watermark: string | null;
  /** When the totals last changed (ISO), null before the first vote. */
  readonly updatedAt: string | null;
}
