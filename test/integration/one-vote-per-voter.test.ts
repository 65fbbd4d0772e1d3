/**
 * One vote per voter, live and gold alike, with a producer we did not write: kcat sends the
 * candidates, the voters and their votes — every 7th vote twice (a producer retry), ten voters
 * voting a second time for someone else, five voters whose first vote names an unregistered
 * candidate, three votes of voters nobody registered, and two malformed lines, the votes before
 * the voters (so live, most votes wait for their voter's registration) — to the synthesized local stack on a fresh, separate set
 * of services (separate-services.ts). The live totals (serving store) equal the gold layer's results,
 * duplicates and rejected votes are counted on both sides and in no total, and the run passes
 * its quality gate, and the AWS target's template allows every AWS call the run made. Then the runtime restarts and kcat sends every line again: nothing changes
 * but the duplicate count.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resetAwsClients } from "../../core/aws/clients.ts";
import { DEFAULT_CANDIDATES } from "../../core/datasets/elections/generator.ts";
import type { Vote, Voter } from "../../core/datasets/elections/schema.ts";
import { generatedElections } from "../../core/datasets/elections/source.ts";
import { ELECTIONS_TOPICS } from "../../core/datasets/elections/topics.ts";
import type { LiveResults } from "../../core/realtime/index.ts";
import { landingGroups, waitForLoaded } from "../../demo/wait-for-loaded.ts";
import type { Template } from "../../localstack/runtime/assembly.ts";
import { replayOnAwsTemplate } from "../../localstack/runtime/iam/aws-replay.ts";
import { openRuntime } from "../../localstack/runtime/open.ts";
import type { LocalRuntime } from "../../localstack/runtime/runtime.ts";
import { synthesize } from "../fixtures/stacks.ts";
import { waitForLive } from "./aggregate-helpers.ts";
import { type SeparateServices, useSeparateServices } from "./separate-services.ts";

const hasKcat = spawnSync("kcat", ["-V"]).status === 0;
const UNREGISTERED = "cand-999";

/** The election as kcat sends it, and what one vote per voter makes of it. */
interface Election {
  readonly lines: Record<"candidates" | "voters" | "votes", string[]>;
  readonly expected: {
    readonly perCandidate: Record<string, number>;
    readonly duplicates: number;
    readonly rejected: number;
    /** Of the rejected votes, those of voters nobody registered. */
    readonly unregisteredVoters: number;
  };
}

async function buildElection(): Promise<Election> {
  const voters: Voter[] = [];
  const votes: Vote[] = [];
  for await (const record of generatedElections({ count: 200, seed: 11, turnout: 1 }).records) {
    if (record.entity === "voters") voters.push(record.value as Voter);
    if (record.entity === "votes") votes.push(record.value as Vote);
  }
  const sent: Vote[] = [];
  // Five voters' first vote names a candidate nobody registered; their own vote comes after it.
  for (const vote of votes.slice(0, 5)) sent.push({ ...vote, candidate_id: UNREGISTERED });
  votes.forEach((vote, i) => {
    sent.push(vote);
    if (i % 7 === 0) sent.push(vote); // the same vote delivered again
  });
  // Ten voters vote a second time, for another candidate.
  for (const vote of votes.slice(20, 30)) {
    const other = DEFAULT_CANDIDATES.find((c) => c.candidate_id !== vote.candidate_id);
    sent.push({ ...vote, candidate_id: other?.candidate_id ?? vote.candidate_id });
  }
  // Three votes of voters nobody registered.
  for (const vote of votes.slice(40, 43)) sent.push({ ...vote, voter_id: randomUUID() });

  // The first vote of each voter, in the order sent (a voter's votes share a key, hence a partition).
  const first = new Map<string, Vote>();
  for (const vote of sent) if (!first.has(vote.voter_id)) first.set(vote.voter_id, vote);
  const registered = new Set(DEFAULT_CANDIDATES.map((c) => c.candidate_id));
  const perCandidate: Record<string, number> = Object.fromEntries([...registered].map((id) => [id, 0]));
  const voterIds = new Set(voters.map((v) => v.login.uuid));
  let rejected = 0;
  let unregisteredVoters = 0;
  for (const vote of first.values()) {
    if (!voterIds.has(vote.voter_id)) {
      rejected += 1;
      unregisteredVoters += 1;
    } else if (registered.has(vote.candidate_id))
      perCandidate[vote.candidate_id] = (perCandidate[vote.candidate_id] ?? 0) + 1;
    else rejected += 1;
  }
  const keyed = (key: string, value: unknown) => `${key}\t${JSON.stringify(value)}`;
  return {
    lines: {
      candidates: DEFAULT_CANDIDATES.map((c) => keyed(c.candidate_id, c)),
      voters: voters.map((v) => keyed(v.login.uuid, v)),
      votes: [
        ...sent.map((v) => keyed(v.voter_id, v)),
        "bad-line\t{not json",
        `${votes[0]?.voter_id}\t[1, 2]`,
      ],
    },
    expected: { perCandidate, duplicates: sent.length - first.size, rejected, unregisteredVoters },
  };
}

describe.skipIf(!hasKcat)("one vote per voter, produced by kcat", () => {
  let services: SeparateServices;
  let runtime: LocalRuntime | undefined;
  let election: Election;
  let linesDir: string;

  /** Sends the lines with kcat, keyed (tab-separated), with the Java client's partitioner as the project's producer. */
  function kcatSend(topic: string, lines: readonly string[]): void {
    const file = join(linesDir, `${topic}.lines`);
    writeFileSync(file, `${lines.join("\n")}\n`);
    const brokers = process.env.KAFKA_BROKERS ?? "";
    execFileSync("kcat", [
      "-P",
      "-b",
      brokers,
      "-t",
      topic,
      "-K",
      "\t",
      "-X",
      "partitioner=murmur2_random",
      "-l",
      file,
    ]);
  }

  function sendElection(): void {
    kcatSend(ELECTIONS_TOPICS.candidates, election.lines.candidates);
    kcatSend(ELECTIONS_TOPICS.votes, election.lines.votes);
    kcatSend(ELECTIONS_TOPICS.voters, election.lines.voters);
  }

  async function gold(): Promise<{ perCandidate: Record<string, number>; rejected: number }> {
    const client = new pg.Client({ connectionString: services.databaseUrl });
    await client.connect();
    try {
      const results = await client.query(
        "select candidate_id, votes::int as votes from analytics.election_results_by_candidate",
      );
      const rejected = await client.query("select count(*)::int as n from analytics.election_rejected_votes");
      return {
        perCandidate: Object.fromEntries(results.rows.map((r) => [r.candidate_id, r.votes])),
        rejected: rejected.rows[0].n,
      };
    } finally {
      await client.end();
    }
  }

  async function startRuntime(): Promise<LocalRuntime> {
    const started = await openRuntime({ log: () => undefined });
    await started.deploy();
    await started.start();
    return started;
  }

  beforeAll(async () => {
    services = await useSeparateServices();
    resetAwsClients();
    linesDir = mkdtempSync(join(tmpdir(), "one-vote-lines-"));
    election = await buildElection();
    runtime = await startRuntime();
  }, 600_000);

  afterAll(async () => {
    await runtime?.stop();
    await services?.release();
    if (linesDir) rmSync(linesDir, { recursive: true, force: true });
  });

  it("counts one vote per voter live, equal to the gold layer, with duplicates and rejected votes set apart", async () => {
    // Act
    sendElection();
    const live = await waitForLive(
      (l) =>
        l.duplicateVotes === election.expected.duplicates &&
        l.rejectedVotes === election.expected.rejected &&
        l.totalVotes === Object.values(election.expected.perCandidate).reduce((a, b) => a + b, 0),
    );
    await waitForLoaded(landingGroups(runtime as LocalRuntime), 300_000, () => undefined);
    const run = await (runtime as LocalRuntime).startExecution(undefined, {}).done;

    // Assess
    expect(run.status, run.cause).toBe("SUCCEEDED");
    expect(perCandidate(live)).toEqual(election.expected.perCandidate);
    expect(live.unknownCandidates).toEqual([
      { candidateId: UNREGISTERED, votes: election.expected.rejected - election.expected.unregisteredVoters },
    ]);
    expect(live.unregisteredVoterVotes).toBe(election.expected.unregisteredVoters);
    expect(await gold()).toEqual({
      perCandidate: election.expected.perCandidate,
      rejected: election.expected.rejected,
    });
    // Every AWS call this whole run made — landing, loading, the aggregate's claims and registry,
    // dbt's task, the gate, the summary — is allowed by the AWS target's template too, on the
    // same warehouse (PostgreSQL: S3 notifies load-raw directly, where Snowflake has a queue).
    const local = (runtime as LocalRuntime).stack.context.template;
    const aws = synthesize({ warehouse: "postgres" }).template.toJSON() as Template;
    const journal = (runtime as LocalRuntime).accessJournal;
    expect(journal.some((r) => r.action === "dynamodb:BatchWriteItem")).toBe(true);
    expect(await replayOnAwsTemplate(journal, { local, aws })).toEqual([]);
  }, 600_000);

  it("after a restart, every line sent again changes no total, only the duplicate count", async () => {
    // Prepare
    await runtime?.stop();
    runtime = await startRuntime();
    const validVotes = election.lines.votes.length - 2;

    // Act
    sendElection();
    const live = await waitForLive((l) => l.duplicateVotes === election.expected.duplicates + validVotes);
    await waitForLoaded(landingGroups(runtime), 300_000, () => undefined);
    const run = await runtime.startExecution(undefined, {}).done;

    // Assess
    expect(run.status, run.cause).toBe("SUCCEEDED");
    expect(perCandidate(live)).toEqual(election.expected.perCandidate);
    expect(live.rejectedVotes).toBe(election.expected.rejected);
    expect(await gold()).toEqual({
      perCandidate: election.expected.perCandidate,
      rejected: election.expected.rejected,
    });
  }, 600_000);
});

function perCandidate(live: LiveResults): Record<string, number> {
  return Object.fromEntries(live.candidates.map((c) => [c.candidateId, c.votes]));
}
