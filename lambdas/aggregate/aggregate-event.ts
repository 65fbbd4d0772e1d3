/**
 * One MSK event → each votes partition's votes, and each voters partition's registrations,
 * applied to the serving store exactly once. Partitions are independent items in the store, so
 * they are applied concurrently.
 *
 * Invalid records (bad JSON, schema violations…) are not counted. They are not lost either:
 * land-records consumes the same topic and quarantines them with the reason, so the
 * quarantine bucket — not this function — is where they are reported.
 */
import type { Candidate, Vote, Voter } from "../../core/datasets/elections/schema.ts";
import {
  type DecodeOptions,
  decodeMskRecord,
  type MskEvent,
  type MskRecord,
} from "../../core/msk-event/index.ts";
import {
  type ApplyResult,
  applyRegistrationsToStore,
  applyToStore,
  CANDIDATES_TOPIC,
  registerCandidates,
  type ServingTable,
  VOTERS_TOPIC,
  VOTES_TOPIC,
  type VoteEvent,
  type VoterRegistration,
  type WindowSettings,
} from "../../core/realtime/index.ts";

export interface PartitionOutcome {
  readonly topic: string;
  readonly partition: number;
  readonly firstOffset: number;
  readonly lastOffset: number;
  /** Valid records in the batch: votes (votes topic) or voter registrations (voters topic). */
  readonly records: number;
  /** Records that were invalid. */
  readonly skipped: number;
  /**
   * Votes newly in the totals (0 for a redelivered batch): counted, and released by a late
   * registration; of those counted, how many were late, how many future-dated.
   */
  readonly applied: number;
  readonly late: number;
  readonly future: number;
  /** Votes left out because their voter's vote was already counted (voter-claims.ts). */
  readonly duplicates: number;
  /** Votes held apart because their voter was not registered; earlier ones released now. */
  readonly unregisteredVoters: number;
  readonly released: number;
  /** The partition's state version after this batch. */
  readonly version: number;
}

export async function aggregateEvent(
  event: MskEvent,
  table: ServingTable,
  settings: WindowSettings,
  options: { readonly decode?: DecodeOptions; readonly now?: () => Date } = {},
): Promise<PartitionOutcome[]> {
  const batches = Object.values(event.records).filter(
    (records) =>
      records.length > 0 && (records[0]?.topic === VOTES_TOPIC || records[0]?.topic === VOTERS_TOPIC),
  );
  const results = await Promise.allSettled(
    batches.map(async (records) => {
      const first = records[0] as MskRecord;
      const target = { topic: first.topic, partition: first.partition };
      const lastOffset = Math.max(...records.map((r) => r.offset));
      let valid: number;
      let result: ApplyResult;
      if (first.topic === VOTERS_TOPIC) {
        const registrations = registrationsOf(records, options.decode);
        valid = registrations.length;
        result = await applyRegistrationsToStore(
          table,
          target,
          { registrations, lastOffset },
          settings,
          options.now,
        );
      } else {
        const votes = votesOf(records, options.decode);
        valid = votes.length;
        result = await applyToStore(table, target, { votes, lastOffset }, settings, options.now);
      }
      return {
        ...target,
        firstOffset: Math.min(...records.map((r) => r.offset)),
        lastOffset,
        records: valid,
        skipped: records.length - valid,
        applied: result.applied,
        late: result.late,
        future: result.future,
        duplicates: result.duplicates,
        unregisteredVoters: result.unregisteredVoters,
        released: result.released,
        version: result.state.version,
      };
    }),
  );
  // Wait for every partition before failing, so a retry never races a write in flight.
  const failed = results.find((r) => r.status === "rejected");
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<PartitionOutcome>).value);
}

/** Registers the valid candidate records of the event (elections.candidates); returns how many. */
export async function registerEventCandidates(
  event: MskEvent,
  table: ServingTable,
  options: DecodeOptions = {},
): Promise<number> {
  const ids: string[] = [];
  for (const records of Object.values(event.records)) {
    for (const record of records) {
      if (record.topic !== CANDIDATES_TOPIC) continue;
      const decoded = decodeMskRecord(record, options);
      if (decoded.ok) ids.push((decoded.record.value as Candidate).candidate_id);
    }
  }
  return registerCandidates(table, ids);
}

/** The valid voter records of one voters-partition batch. */
export function registrationsOf(
  records: readonly MskRecord[],
  options: DecodeOptions = {},
): VoterRegistration[] {
  const registrations: VoterRegistration[] = [];
  for (const record of records) {
    const decoded = decodeMskRecord(record, options);
    if (decoded.ok)
      registrations.push({ offset: record.offset, voterId: (decoded.record.value as Voter).login.uuid });
  }
  return registrations;
}

/** The valid votes of one partition batch. */
export function votesOf(records: readonly MskRecord[], options: DecodeOptions = {}): VoteEvent[] {
  const votes: VoteEvent[] = [];
  for (const record of records) {
    if (record.topic !== VOTES_TOPIC) continue;
    const decoded = decodeMskRecord(record, options);
    if (!decoded.ok) continue;
    const vote = decoded.record.value as Vote;
    votes.push({
      offset: record.offset,
      voterId: vote.voter_id,
      candidateId: vote.candidate_id,
      state: vote.state,
      eventTime: Date.parse(vote.voting_time),
    });
  }
  return votes;
}
