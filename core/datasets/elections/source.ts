/**
 * Elections sources: generated voters (default) or voters from the randomuser.me API; either
 * way each voter is followed by their vote, after the candidate list.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { describeZodError } from "../../producer/validate.ts";
import {
  type DatasetSources,
  type Source,
  SourceError,
  type SourceOptions,
  type SourceRecord,
} from "../../sources/types.ts";
import {
  DEFAULT_CANDIDATES,
  DEFAULT_SEED,
  generateVoters,
  recentWindow,
  VoteCaster,
  type VotingWindow,
} from "./generator.ts";
import { fetchRandomUsers } from "./randomuser-client.ts";
import { type Candidate, candidateSchema, type Voter } from "./schema.ts";

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

export function generatedElections(given: ElectionsOptions = {}): Source {
  const options = withSettings(given);
  const count = options.count ?? DEFAULT_VOTERS;
  const window = options.window ?? recentWindow();
  const voters = generateVoters({ seed: options.seed ?? DEFAULT_SEED, count, anchor: window.end });
  return {
    name: "generator",
    expectedCount: (options.candidates ?? DEFAULT_CANDIDATES).length + 2 * count,
    records: electionRecords(voters, count, { ...options, window }),
  };
}

export function apiElections(given: ElectionsOptions = {}): Source {
  const options = withSettings(given);
  const count = options.count ?? DEFAULT_VOTERS;
  const voters = fetchRandomUsers({ count, seed: String(options.seed ?? DEFAULT_SEED) });
  return {
    name: "api",
    expectedCount: (options.candidates ?? DEFAULT_CANDIDATES).length + 2 * count,
    records: electionRecords(voters, count, options),
  };
}

/**
 * Applies the command-line settings: `candidates` (a JSON file with an array of candidates)
 * and `window` (`<ISO start>/<ISO end>` of the voting times).
 */
export function withSettings(options: ElectionsOptions): ElectionsOptions {
  const { candidates, window } = options.settings ?? {};
  return {
    ...options,
    candidates: candidates ? readCandidates(candidates) : options.candidates,
    window: window ? parseWindow(window) : options.window,
  };
}

function readCandidates(path: string): Candidate[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (cause) {
    throw new SourceError(`cannot read the candidates file ${path}: ${(cause as Error).message}`, { cause });
  }
  const result = z.array(candidateSchema).min(1).safeParse(parsed);
  if (!result.success)
    throw new SourceError(`${path}: not a list of candidates (${describeZodError(result.error)})`);
  return result.data;
}

export function parseWindow(text: string): VotingWindow {
  const [start, end] = text.split("/").map((part) => Date.parse(part));
  if (start === undefined || end === undefined || Number.isNaN(start) || Number.isNaN(end) || end <= start) {
    throw new SourceError(`voting window "${text}": expected <ISO start>/<ISO end> with start before end`);
  }
  return { start, end };
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
