/**
 * Elections sources: generated voters (default) or voters from the randomuser.me API; either
 * way each voter is followed by their vote, after the candidate list.
 */
import type { DatasetSources, Source, SourceOptions, SourceRecord } from "../../sources/types.ts";
import {
  DEFAULT_CANDIDATES,
  DEFAULT_SEED,
  generateVoters,
  recentWindow,
  VoteCaster,
  type VotingWindow,
} from "./generator.ts";
import { fetchRandomUsers } from "./randomuser-client.ts";
import type { Candidate, Voter } from "./schema.ts";

export const DEFAULT_VOTERS = 1000;

export interface ElectionsOptions extends SourceOptions {
  readonly candidates?: readonly Candidate[];
  readonly window?: VotingWindow;
}

/** Candidates, then each voter followed by their vote. */
export async function* electionRecords(
  voters: AsyncIterable<Voter> | Iterable<Voter>,
  count: number,
  options: ElectionsOptions = {},
): AsyncGenerator<SourceRecord> {
  const candidates = options.candidates ?? DEFAULT_CANDIDATES;
  for (const candidate of candidates) yield { entity: "candidates", value: candidate };
  const caster = new VoteCaster({ seed: options.seed, candidates, window: options.window, count });
  for await (const voter of voters) {
    yield { entity: "voters", value: voter };
    yield { entity: "votes", value: caster.vote(voter) };
  }
}

export function generatedElections(options: ElectionsOptions = {}): Source {
  const count = options.count ?? DEFAULT_VOTERS;
  const window = options.window ?? recentWindow();
  const voters = generateVoters({ seed: options.seed ?? DEFAULT_SEED, count, anchor: window.end });
  return {
    name: "generator",
    expectedCount: (options.candidates ?? DEFAULT_CANDIDATES).length + 2 * count,
    records: electionRecords(voters, count, { ...options, window }),
  };
}

export function apiElections(options: ElectionsOptions = {}): Source {
  const count = options.count ?? DEFAULT_VOTERS;
  const voters = fetchRandomUsers({ count, seed: String(options.seed ?? DEFAULT_SEED) });
  return {
    name: "api",
    expectedCount: (options.candidates ?? DEFAULT_CANDIDATES).length + 2 * count,
    records: electionRecords(voters, count, options),
  };
}

export const electionsSources: DatasetSources = {
  definitions: [
    {
      kind: "generator",
      description: "seeded voters (randomuser.me shape) and one vote each",
      open: generatedElections,
    },
    {
      kind: "api",
      description: "voters from https://randomuser.me/api/?nat=us, one vote each",
      open: apiElections,
    },
  ],
  defaultKind: () => "generator",
};
