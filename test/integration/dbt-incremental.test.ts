/**
 * The elections gold layer built incrementally equals the same layer built from scratch: three
 * loads through the real raw loader, an incremental `dbt build` after each (the bench's and the
 * pipeline's elections selection), then `dbt build --full-refresh` of the same raw tables into a
 * second schema, and every table of the two schemas compared row for row. The loads carry what
 * an incremental rule can get wrong: a held vote released by its voter's late registration and
 * by its candidate's, candidate records sent again, a voter record that changes the voter's
 * state, repeat votes, and earlier votes whose objects are loaded after later ones' (one changes
 * the counted candidate, one names an unregistered candidate, so a counted vote becomes a
 * rejected one). Then what a build tests: only the rows it wrote in the big incremental tables
 * (dbt/macros/rows_built.sql), where `dbt test` reads every row.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { loadConfig } from "../../core/config/index.ts";
import type { Vote } from "../../core/datasets/elections/schema.ts";
import { runDbt } from "../../core/dbt/run.ts";
import { CANDIDATES, loadRaw, PartitionedLog, type RawRecord, vote, voter } from "./dbt-fixtures.ts";

const ELECTIONS = ["--select", "path:models/staging/elections+"];
const id = randomBytes(4).toString("hex");
const rawSchema = `dbt_inc_raw_${id}`;
const incrementalSchema = `dbt_inc_${id}`;
const fullSchema = `dbt_full_${id}`;
const artifacts = mkdtempSync(join(tmpdir(), "dbt-inc-"));
const client = new pg.Pool({ connectionString: loadConfig().postgres.url, max: 2 });
const logs = {
  candidates: new PartitionedLog(1),
  voters: new PartitionedLog(3),
  votes: new PartitionedLog(3),
};
const LATE_CANDIDATE = { candidate_id: "cand-999", candidate_name: "Sam Late", party: "Independent" };
const day = Date.UTC(2026, 0, 5);

function env(schema: string) {
  return {
    ...process.env,
    DBT_SCHEMA: schema,
    DBT_RAW_SCHEMA: rawSchema,
    DBT_TARGET_PATH: join(artifacts, schema, "target"),
    DBT_LOG_PATH: join(artifacts, schema, "logs"),
  };
}

async function build(schema: string, ...flags: string[]): Promise<string> {
  const result = await runDbt(["build", "--target", "local", ...flags, ...ELECTIONS], { env: env(schema) });
  expect(result.exitCode, result.output).toBe(0);
  return result.output;
}

const voters = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => voter(from + i, "a")).map((v) =>
    logs.voters.append(v.login.uuid, v),
  );
const ballot = (n: number, candidate: number, prefix = "a"): Vote =>
  vote(n, prefix, candidate, new Date(day + n * 60_000));
const cast = (v: Vote) => logs.votes.append(v.voter_id, v);

/**
 * Every table of a schema, rows as JSON text, sorted: what a dashboard or a test could read.
 * Without built_at, when the build that wrote a row started (dbt/macros/rows_built.sql), which
 * differs between any two builds.
 */
async function tables(schema: string): Promise<Record<string, string[]>> {
  const { rows: names } = await client.query(
    `select table_name from information_schema.tables where table_schema = $1 and table_type = 'BASE TABLE' order by 1`,
    [schema],
  );
  const result: Record<string, string[]> = {};
  for (const { table_name: table } of names) {
    const { rows } = await client.query(
      `select (to_jsonb(t) - 'built_at')::text as row from "${schema}"."${table}" t order by 1`,
    );
    result[table] = rows.map((r) => r.row);
  }
  return result;
}

// Earlier votes whose objects reach the warehouse after later ones': their offsets are taken
// now (the order the log holds them in), their records loaded in the second load.
const voter32Earlier = cast(ballot(32, 1));
const voter32Later = cast(ballot(32, 0));
const voter33Earlier = cast({ ...ballot(33, 0), candidate_id: "cand-404" });
const voter33Later = cast(ballot(33, 2));
const lateVoter = voter(1, "late");
const lateVoterVote = ballot(1, 2, "late");

beforeAll(async () => {
  await loadRaw(
    client,
    rawSchema,
    "elections_candidates",
    CANDIDATES.map((c) => logs.candidates.append(c.candidate_id, c)),
  );
  await loadRaw(client, rawSchema, "elections_voters", voters(1, 41));
  const first: RawRecord[] = [
    ...Array.from({ length: 30 }, (_, i) => cast(ballot(i + 1, i))),
    ...[2, 3].map((n) => cast(ballot(n, n + 1))), // repeats: ignored
    cast({ ...ballot(31, 0), candidate_id: LATE_CANDIDATE.candidate_id }), // held: unknown candidate
    cast(lateVoterVote), // held: unknown voter
    voter32Later,
    voter33Later,
  ];
  await loadRaw(client, rawSchema, "elections_votes", first);
});

afterAll(async () => {
  for (const schema of [incrementalSchema, fullSchema, rawSchema])
    await client.query(`drop schema if exists "${schema}" cascade`);
  await client.end();
  rmSync(artifacts, { recursive: true, force: true });
});

describe("dbt incremental elections models", () => {
  test("after new votes, late registrations and late-loaded votes, equal a --full-refresh build", async () => {
    // Prepare: the first build, then the second load.
    await build(incrementalSchema);
    const moved = voter(5, "a");
    await loadRaw(client, rawSchema, "elections_voters", [
      ...voters(41, 51),
      logs.voters.append(lateVoter.login.uuid, lateVoter), // releases the held vote
      logs.voters.append(moved.login.uuid, { ...moved, location: { ...moved.location, state: "Nevada" } }),
    ]);
    await loadRaw(client, rawSchema, "elections_votes", [
      ...Array.from({ length: 8 }, (_, i) => cast(ballot(41 + i, i))),
      cast(ballot(7, 2)), // repeat: ignored
      voter32Earlier, // now voter 32's first vote: another candidate
      voter33Earlier, // now voter 33's first vote: an unknown candidate, so rejected
    ]);
    await build(incrementalSchema);
    // The third load: the late candidate registers, which releases voter 31's vote, and the
    // others' records are sent again (as every producer run sends them).
    await loadRaw(client, rawSchema, "elections_candidates", [
      logs.candidates.append(LATE_CANDIDATE.candidate_id, LATE_CANDIDATE),
      ...CANDIDATES.map((c) => logs.candidates.append(c.candidate_id, c)),
    ]);
    await loadRaw(client, rawSchema, "elections_votes", [cast(ballot(49, 1))]);

    // Act
    const output = await build(incrementalSchema);
    await build(fullSchema, "--full-refresh");

    // Assess: the incremental run really was one (not a rebuild), and every table is equal.
    expect(output).toMatch(/incremental model .*fct_votes/);
    const [incremental, full] = [await tables(incrementalSchema), await tables(fullSchema)];
    expect(Object.keys(full)).toEqual(
      expect.arrayContaining(["fct_votes", "election_rejected_votes", "turnout_by_state", "dim_voter"]),
    );
    for (const [table, rows] of Object.entries(full))
      expect({ table, rows: incremental[table] }).toEqual({ table, rows });
    const counted = await client.query(
      `select voter_id, candidate_id from "${incrementalSchema}".fct_votes where voter_id = any($1) order by 1`,
      [[voter32Later.key, lateVoter.login.uuid, ballot(31, 0).voter_id]],
    );
    expect(counted.rows).toEqual(
      [
        { voter_id: voter32Later.key, candidate_id: CANDIDATES[1]?.candidate_id },
        { voter_id: lateVoter.login.uuid, candidate_id: lateVoterVote.candidate_id },
        { voter_id: ballot(31, 0).voter_id, candidate_id: LATE_CANDIDATE.candidate_id },
      ].sort((a, b) => (a.voter_id < b.voter_id ? -1 : 1)),
    );
    const rejected = await client.query(
      `select voter_id, reason from "${incrementalSchema}".election_rejected_votes`,
    );
    expect(rejected.rows).toEqual([{ voter_id: voter33Later.key, reason: "unknown candidate" }]);
    const nevada = await client.query(
      `select registered_voters::int as n from "${incrementalSchema}".turnout_by_state where state = 'Nevada'`,
    );
    expect(nevada.rows).toEqual([{ n: 1 }]);
  }, 600_000); // four dbt builds

  test("a build tests the rows it wrote; `dbt test` tests every row", async () => {
    // Prepare: a held row made invalid behind dbt's back, and a new voter record that is invalid.
    const held = voter(3, "a").login.uuid;
    await client.query(`update "${incrementalSchema}".dim_voter set age = 500 where voter_id = $1`, [held]);
    const invalid = voter(60, "a");
    await loadRaw(client, rawSchema, "elections_voters", [
      logs.voters.append(invalid.login.uuid, { ...invalid, dob: { ...invalid.dob, age: 200 } }),
    ]);

    // Act
    const built = await runDbt(["build", "--target", "local", ...ELECTIONS], { env: env(incrementalSchema) });
    const buildFailures = ageTestFailures(incrementalSchema);
    const tested = await runDbt(["test", "--target", "local", "--select", "dim_voter"], {
      env: env(incrementalSchema),
    });

    // Assess: the build fails on the row it wrote only; the test run finds both.
    expect(built.exitCode, built.output).toBe(1);
    expect(buildFailures).toBe(1);
    expect(tested.exitCode, tested.output).toBe(1);
    expect(ageTestFailures(incrementalSchema)).toBe(2);
  }, 300_000);
});

/** Rows failing dim_voter's age test in the last dbt invocation's results. */
function ageTestFailures(schema: string): number | undefined {
  const results = JSON.parse(readFileSync(join(artifacts, schema, "target", "run_results.json"), "utf8"));
  return results.results.find((r: { unique_id: string }) =>
    r.unique_id.startsWith("test.pipeline.expression_is_true_dim_voter_age_"),
  )?.failures;
}
