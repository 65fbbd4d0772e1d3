/**
 * Elections sources: generated voters (default) or voters from the randomuser.me API; either
 * way each voter is followed by their vote when they turn out, after the candidate list.
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
  checkTurnout,
  DEFAULT_CANDIDATES,
  DEFAULT_SEED,
  DEFAULT_TURNOUT,
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
  /** Base turnout, 0 < t ≤ 1 (default 0.62; 1 = every voter votes). */
  readonly turnout?: number;
}

/** Candidates, then each voter followed by their vote if they voted. */
export async function* electionRecords(
  voters: AsyncIterable<Voter> | Iterable<Voter>,
  count: number,
  options: ElectionsOptions = {},
): AsyncGenerator<SourceRecord> {
  const candidates = options.candidates ?? DEFAULT_CANDIDATES;
  for (const candidate of candidates) yield { entity: "candidates", value: candidate };
  const caster = new VoteCaster({
    seed: options.seed,
    candidates,
    window: options.window,
    count,
    turnout: options.turnout,
  });
  for await (const voter of voters) {
    yield { entity: "voters", value: voter };
    const vote = caster.cast(voter);
    if (vote) yield { entity: "votes", value: vote };
  }
}

export function generatedElections(given: ElectionsOptions = {}): Source {
  const options = withSettings(given);
  const count = options.count ?? DEFAULT_VOTERS;
  const window = options.window ?? recentWindow();
  const voters = generateVoters({ seed: options.seed ?? DEFAULT_SEED, count, anchor: window.end });
  return {
    name: "generator",
    expectedCount: expectedRecords(options, count),
    records: electionRecords(voters, count, { ...options, window }),
  };
}

export function apiElections(given: ElectionsOptions = {}): Source {
  const options = withSettings(given);
  const count = options.count ?? DEFAULT_VOTERS;
  const voters = fetchRandomUsers({ count, seed: String(options.seed ?? DEFAULT_SEED) });
  return {
    name: "api",
    expectedCount: expectedRecords(options, count),
    records: electionRecords(voters, count, options),
  };
}

/** Candidates and voters, plus the votes turnout makes likely (the progress bar's total). */
function expectedRecords(options: ElectionsOptions, count: number): number {
  const candidates = (options.candidates ?? DEFAULT_CANDIDATES).length;
  return candidates + count + Math.round(count * (options.turnout ?? DEFAULT_TURNOUT));
}

/**
 * Applies the command-line settings: `candidates` (a JSON file with an array of candidates),
 * `window` (`<ISO start>/<ISO end>` of the voting times) and `turnout` (a share, 0 < t ≤ 1).
 */
export function withSettings(options: ElectionsOptions): ElectionsOptions {
  const { candidates, window, turnout } = options.settings ?? {};
  return {
    ...options,
    candidates: candidates ? readCandidates(candidates) : options.candidates,
    window: window ? parseWindow(window) : options.window,
    turnout: turnout === undefined ? options.turnout : parseTurnout(turnout),
  };
}

export function parseTurnout(text: string): number {
  const turnout = Number(text.trim().endsWith("%") ? Number(text.trim().slice(0, -1)) / 100 : text);
  try {
    return checkTurnout(text.trim() === "" ? Number.NaN : turnout);
  } catch {
    throw new SourceError(`turnout "${text}": expected a share above 0 and at most 1, e.g. 0.62 or 62%`);
  }
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
      description: "seeded voters (randomuser.me shape) and the votes of those who turn out",
      open: generatedElections,
    },
    {
      kind: "api",
      description: "voters from https://randomuser.me/api/?nat=us and the votes of those who turn out",
      open: apiElections,
    },
  ],
  defaultKind: () => "generator",
};
