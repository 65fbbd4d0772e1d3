/**
 * The registered voters, live: one item per voter (`pk` = `voter#<id>`, `sk` = `registration`),
 * written by the aggregate from `elections.voters`. A registration that arrives after the
 * voter's vote was claimed releases that vote into the totals (voter-claims.ts says why exactly
 * one side counts it). Writing a registration again is a no-op, so redelivered batches are
 * harmless; the releases a batch makes are counted in its voters partition's state, written
 * with the batch's offset (store.ts), so they count once.
 */
import type { ReleasedVote } from "./aggregate.ts";
import { batchPutItems, type ServingTable } from "./serving-table.ts";
import {
  firstPerVoter,
  type LogPartition,
  positionKey,
  REGISTRATION_SORT_KEY,
  readClaims,
  releaseClaim,
  voterKey,
} from "./voter-claims.ts";

/** One voter record of the log, as the registry needs it. */
export interface VoterRegistration {
  readonly offset: number;
  readonly voterId: string;
}

/** Registers the voters of one voters-partition batch; returns the votes it released. */
export async function registerVoters(
  table: ServingTable,
  position: LogPartition,
  registrations: readonly VoterRegistration[],
): Promise<ReleasedVote[]> {
  const first = firstPerVoter(registrations);
  const registeredAt = new Date().toISOString();
  await batchPutItems(
    table,
    [...first.values()].map((r) => ({
      ...voterKey(r.voterId, REGISTRATION_SORT_KEY),
      ...position,
      offset: r.offset,
      registeredAt,
    })),
    "write voter registrations",
  );
  // Read the claims after the registrations are written: a claim written before is seen now;
  // one written after re-reads the registration itself (voter-claims.ts).
  const claims = await readClaims(table, [...first.keys()]);
  const released: ReleasedVote[] = [];
  for (const [voterId, claim] of claims) {
    if (claim.registered !== false || claim.candidateId === undefined || claim.state === undefined) continue;
    const me = positionKey({ ...position, offset: (first.get(voterId) as VoterRegistration).offset });
    if (claim.releasedBy !== undefined && claim.releasedBy !== me) continue;
    if (await releaseClaim(table, voterId, me)) {
      released.push({ candidateId: claim.candidateId, state: claim.state });
    }
  }
  return released;
}
