/**
 * Current totals → the compacted topics `aggregated_votes_per_candidate` (key: candidate id)
 * and `aggregated_turnout_by_location` (key: state). Every record also carries the companion
 * figures (votes in the totals, duplicates and rejected votes left out), so a consumer of
 * either topic alone can tell how complete the totals are.
 *
 * Ordering: invocations for different partitions run concurrently, so their publishes can
 * reach Kafka in any order. Each publish therefore carries the totals READ AFTER its own
 * conditional write, stamped with `version` = the sum of the partitions' state versions plus
 * the number of registered candidates. Both only grow, so a later read never has a smaller
 * version: a consumer keeps, per key, the record with the highest version.
 * Compaction keeps the last record per key by offset, so a stale one can be last for a
 * while; the next batch on any partition republishes every key with the newest totals.
 * Every invocation publishes, even when its batch was already applied — a redelivery after
 * a crash between the store write and the publish must still publish.
 */
import { aggregatedTopics } from "../../core/datasets/index.ts";
import type { KeyedMessages } from "../../core/kafka/client.ts";
import type { LiveResults, PartitionState } from "../../core/realtime/index.ts";

export const [CANDIDATE_TOPIC, LOCATION_TOPIC] = aggregatedTopics;

/** What one published record holds (the value, JSON). */
export interface PublishedTotal {
  readonly candidate_id?: string;
  readonly state?: string;
  readonly votes: number;
  /** Sum of the partitions' state versions the totals were read at, plus the registered candidates: higher is newer. */
  readonly version: number;
  readonly updated_at: string | null;
  /** Companion figures at the same version: votes in the totals, duplicates and rejected votes left out. */
  readonly total_votes: number;
  readonly duplicate_votes: number;
  readonly rejected_votes: number;
  /** Of the rejected votes, those whose voter is not registered (yet). */
  readonly unregistered_voter_votes: number;
}

export function totalsMessages(results: LiveResults, states: readonly PartitionState[]): KeyedMessages[] {
  // Registering a candidate changes the totals without a state write: counting the registered
  // candidates (every one is in results.candidates) keeps the version growing with it.
  const version = states.reduce((total, s) => total + s.version, 0) + results.candidates.length;
  const stamp = {
    version,
    updated_at: results.updatedAt,
    total_votes: results.totalVotes,
    duplicate_votes: results.duplicateVotes,
    rejected_votes: results.rejectedVotes,
    unregistered_voter_votes: results.unregisteredVoterVotes,
  };
  return [
    {
      topic: CANDIDATE_TOPIC,
      messages: results.candidates.map((c) => ({
        key: c.candidateId,
        value: JSON.stringify({
          candidate_id: c.candidateId,
          votes: c.votes,
          ...stamp,
        } satisfies PublishedTotal),
      })),
    },
    {
      topic: LOCATION_TOPIC,
      messages: results.locations.map((l) => ({
        key: l.state,
        value: JSON.stringify({ state: l.state, votes: l.votes, ...stamp } satisfies PublishedTotal),
      })),
    },
  ];
}
