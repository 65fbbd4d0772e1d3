/**
 * GET /api/live: the real-time aggregates from the serving store, with each candidate's name
 * and party from the warehouse's dim_candidate when dbt has built it (ids alone otherwise).
 */
import { readLiveResults } from "../../core/realtime/index.ts";
import { SourceUnavailableError } from "./errors.ts";
import { queryGold } from "./warehouse.ts";

export interface LiveCandidate {
  readonly candidateId: string;
  readonly name: string | null;
  readonly party: string | null;
  readonly votes: number;
}

export async function getLive() {
  const live = await readLiveResults().catch((error: unknown) => {
    throw new SourceUnavailableError("the serving store", error);
  });
  const names = await candidateNames();
  const candidates: LiveCandidate[] = live.candidates.map((c) => ({
    candidateId: c.candidateId,
    name: names?.get(c.candidateId)?.name ?? null,
    party: names?.get(c.candidateId)?.party ?? null,
    votes: c.votes,
  }));
  return { ...live, candidates, namesFrom: names ? "warehouse" : "ids" };
}

/** candidate_id → name and party; undefined when the gold layer can't say (not built, unreachable). */
async function candidateNames(): Promise<Map<string, { name: string; party: string }> | undefined> {
  const rows = await queryGold(
    (t) => `select candidate_id, candidate_name, party from ${t("dim_candidate")}`,
  ).catch(() => undefined);
  if (!rows) return undefined;
  return new Map(
    rows.map((r) => [String(r.candidate_id), { name: String(r.candidate_name), party: String(r.party) }]),
  );
}
