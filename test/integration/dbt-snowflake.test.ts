/**
 * The models on the Snowflake adapter, with fakesnow's server (PyPI, in its own dev venv from
 * dbt/requirements-dev.txt) as the Snowflake endpoint and key-pair auth as in production.
 * How far it gets: `dbt compile --target prod` and a first `dbt run --target prod` (every model,
 * incremental ones as full builds) succeed, and the gold figures match. Not here: incremental
 * re-runs and dbt unit tests, which need temporary tables fakesnow's DuckDB cannot name.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { DBT_PROJECT_DIR, runDbt } from "../../core/dbt/run.ts";
import { snowflakeRawDdl } from "../../core/warehouse/snowflake/sql.ts";
import { ensureVenv } from "../../localstack/services/python-venv.ts";
import { servicesSettings } from "../../localstack/services/settings.ts";
import {
  CANDIDATES,
  PartitionedLog,
  type RawRecord,
  type RawTableName,
  superstoreCsvRows,
  superstoreOrderLines,
  toTenThousandths,
  vote,
  voter,
  voterId,
} from "./dbt-fixtures.ts";

const devVenv = join(servicesSettings().cacheDir, "dbt-dev-venv");
const python = join(devVenv, "bin", "python");
const work = mkdtempSync(join(tmpdir(), "dbt-sf-"));
const LINES = 200;
const csvRows = superstoreCsvRows().slice(0, LINES);
let fakesnow: ChildProcess | undefined;
let env: Record<string, string | undefined> = {};

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject()));
    });
  });
}

/** Resolves once something accepts connections on the port (fakesnow's server is up). */
async function listening(port: number): Promise<void> {
  for (let attempt = 0; attempt < 600; attempt++) {
    if (fakesnow?.exitCode !== null) throw new Error(`fakesnow exited with ${fakesnow?.exitCode}`);
    if (await canConnect(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`fakesnow did not listen on ${port}`);
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.once("connect", () => done(true)).once("error", () => done(false));
    socket.setTimeout(1000, () => done(false));
  });
}

/** Runs SQL on fakesnow through the Snowflake Python connector; returns the last statement's rows. */
async function snowflake(statements: { sql: string; params?: unknown[] }[]): Promise<unknown[][]> {
  const child = execFile(python, [join(DBT_PROJECT_DIR, "dev/snowflake_sql.py")], {
    env,
    maxBuffer: 1 << 26,
  });
  const output = new Promise<string>((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (chunk) => (stdout += chunk));
    child.stderr?.on("data", (chunk) => (stderr += chunk));
    child.on("close", (code) => (code === 0 ? resolve(stdout) : reject(new Error(stderr))));
  });
  child.stdin?.end(JSON.stringify(statements));
  return JSON.parse(await output);
}

function inserts(table: RawTableName, records: readonly RawRecord[]) {
  return records.map((r) => ({
    sql: `insert into RAW.${table.toUpperCase()} ("TOPIC", "PARTITION", "OFFSET", "RECORD_KEY", "PAYLOAD", "KAFKA_TS", "SOURCE_OBJECT")
          select %s, %s, %s, %s, parse_json(%s), %s::timestamp_tz, 'raw/test'`,
    params: [
      table.replace("_", "."),
      r.partition,
      r.offset,
      r.key,
      JSON.stringify(r.payload),
      r.kafkaTs.toISOString(),
    ],
  }));
}

beforeAll(async () => {
  await ensureVenv(devVenv, join(DBT_PROJECT_DIR, "requirements-dev.txt"), join(work, "pip.log"));
  const port = await freePort();
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  env = {
    ...process.env,
    DBT_VENV: devVenv,
    DBT_TARGET_PATH: join(work, "target"),
    DBT_LOG_PATH: join(work, "logs"),
    DBT_SCHEMA: "ANALYTICS",
    DBT_RAW_SCHEMA: "raw",
    SNOWFLAKE_ACCOUNT: "fakesnow",
    SNOWFLAKE_HOST: "127.0.0.1",
    SNOWFLAKE_PORT: String(port),
    SNOWFLAKE_PROTOCOL: "http",
    SNOWFLAKE_DATABASE: "PIPELINE",
    SNOWFLAKE_PRIVATE_KEY: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
  };
  fakesnow = spawn(python, ["-m", "fakesnow", "-s", "-p", String(port)], {
    env,
    stdio: "ignore",
  });
  await listening(port);

  const candidates = new PartitionedLog(1);
  const voters = new PartitionedLog(1);
  const votes = new PartitionedLog(1);
  const lines = new PartitionedLog(1);
  await snowflake([
    { sql: "create database if not exists PIPELINE" },
    ...snowflakeRawDdl("raw").map((sql) => ({ sql })),
    ...inserts(
      "elections_candidates",
      CANDIDATES.map((c) => candidates.append(c.candidate_id, c)),
    ),
    ...inserts(
      "elections_voters",
      [1, 2, 3, 4].map((n) => voter(n, "s")).map((v) => voters.append(v.login.uuid, v)),
    ),
    ...inserts(
      "elections_votes",
      [
        [1, 0],
        [2, 1],
        [3, 2],
        [1, 1],
      ].map(([n = 0, candidate = 0]) => votes.append(voterId(n, "s"), vote(n, "s", candidate, new Date()))),
    ),
    ...inserts(
      "sales_orders",
      superstoreOrderLines(csvRows).map((line) => lines.append(String(line["Row ID"]), line)),
    ),
  ]);
}, 600_000);

afterAll(() => {
  fakesnow?.kill();
  rmSync(work, { recursive: true, force: true });
});

describe("dbt on the Snowflake adapter (fakesnow)", () => {
  test("compiles every model for Snowflake: VARIANT paths and the upper-case OFFSET column", async () => {
    // Act
    const result = await runDbt(["compile", "--target", "prod"], { env });

    // Assess
    expect(result.exitCode, result.output).toBe(0);
    const compiled = readFileSync(
      join(work, "target/compiled/pipeline/models/staging/sales/stg_sales__order_lines.sql"),
      "utf8",
    );
    expect(compiled).toContain("cast(payload['Row ID']::varchar as number(38, 0))");
    expect(compiled).toContain('"OFFSET" as kafka_offset');
  });

  test("runs every model once and the gold figures match the loaded records", async () => {
    // Prepare
    const sum = (column: string) =>
      csvRows.reduce((total, row) => total + toTenThousandths(row[column] ?? ""), 0n);

    // Act
    const result = await runDbt(["run", "--target", "prod"], { env });
    const [totals] = await snowflake([
      {
        sql: "select sum(revenue)::varchar, sum(profit)::varchar, sum(quantity)::varchar from ANALYTICS.SALES_BY_REGION_CATEGORY_MONTH",
      },
    ]);
    const results = await snowflake([
      {
        sql: "select candidate_id, votes from ANALYTICS.ELECTION_RESULTS_BY_CANDIDATE order by candidate_id",
      },
    ]);

    // Assess: voter 1 voted twice (cand-001 first, then cand-002): only the first counts.
    expect(result.exitCode, result.output).toBe(0);
    expect(result.output).toMatch(/PASS=23 WARN=0 ERROR=0/);
    // To the cent: fakesnow's DuckDB sums number(38, 6) through doubles (Snowflake itself is exact).
    const [sales, profit, quantity] = (totals ?? []).map(Number);
    expect(sales).toBeCloseTo(Number(sum("Sales")) / 10000, 2);
    expect(profit).toBeCloseTo(Number(sum("Profit")) / 10000, 2);
    expect(quantity).toBe(Number(sum("Quantity")) / 10000);
    expect(results).toEqual([
      ["cand-001", 1],
      ["cand-002", 1],
      ["cand-003", 1],
    ]);
  });
});
