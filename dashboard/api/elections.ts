/** GET /api/elections: the election gold layer — results by candidate and state, turnout breakdowns. */
import { num, queryGold, type Row } from "./warehouse.ts";

export async function getElections() {
  const [byCandidate, byState, turnoutByState, turnoutByAgeBand, turnoutByGender, period] = await Promise.all(
    [
      queryGold(
        (t) =>
          `select candidate_id, candidate_name, party, votes, vote_share, position
         from ${t("election_results_by_candidate")} order by position, candidate_name`,
      ),
      queryGold(
        (t) =>
          `select state, candidate_id, candidate_name, party, votes, vote_share, position
         from ${t("election_results_by_state")} order by state, position, candidate_name`,
      ),
      queryGold(
        (t) =>
          `select state, registered_voters, voters_who_voted, turnout
         from ${t("turnout_by_state")} order by state`,
      ),
      queryGold(
        (t) =>
          `select age_band, registered_voters, voters_who_voted, turnout
         from ${t("turnout_by_age_band")} order by age_band`,
      ),
      queryGold(
        (t) =>
          `select gender, registered_voters, voters_who_voted, turnout
         from ${t("turnout_by_gender")} order by gender`,
      ),
      // What the figures cover: the voting times of the votes the last pipeline run counted.
      queryGold(
        (t) => `select min(voted_at) as first_vote, max(voted_at) as last_vote from ${t("fct_votes")}`,
      ),
    ],
  );
  const built = [byCandidate, byState, turnoutByState, turnoutByAgeBand, turnoutByGender].every(Boolean);
  return {
    built,
    byCandidate: (byCandidate ?? []).map((r) => ({
      candidateId: String(r.candidate_id),
      name: r.candidate_name ?? null,
      party: r.party ?? null,
      votes: num(r.votes),
      voteShare: num(r.vote_share),
      position: num(r.position),
    })),
    byState: (byState ?? []).map((r) => ({
      state: r.state,
      candidateId: String(r.candidate_id),
      name: r.candidate_name ?? null,
      party: r.party ?? null,
      votes: num(r.votes),
      voteShare: num(r.vote_share),
      position: num(r.position),
    })),
    turnoutByState: turnout(turnoutByState, "state"),
    turnoutByAgeBand: turnout(turnoutByAgeBand, "age_band"),
    turnoutByGender: turnout(turnoutByGender, "gender"),
    votingPeriod: { firstVote: instant(period?.[0]?.first_vote), lastVote: instant(period?.[0]?.last_vote) },
  };
}

function instant(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  const date = value instanceof Date ? value : new Date(String(value));
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

function turnout(rows: Row[] | undefined, key: string) {
  return (rows ?? []).map((r) => ({
    group: r[key] ?? null,
    registeredVoters: num(r.registered_voters),
    votersWhoVoted: num(r.voters_who_voted),
    turnout: num(r.turnout),
  }));
}
