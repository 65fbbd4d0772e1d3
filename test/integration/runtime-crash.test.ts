/**
 * `kill -9` of the local runtime mid-stream, then a restart: the raw tables end with exactly
 * the produced records — none lost, none twice. The runtime runs as a real child process
 * (`pipeline local up`), on a fresh, separate set of services (own ports and state dir).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../core/config/index.ts";
import { getDataset } from "../../core/datasets/index.ts";
import { chooseSource, produceDataset } from "../../core/producer/produce-dataset.ts";
import type { ReconcileReport } from "../../core/reconcile/index.ts";
import { readConsumerLag } from "../../core/reconcile/readers.ts";
import type { SourceRecord } from "../../core/sources/types.ts";
import { waitForLoaded } from "../../demo/wait-for-loaded.ts";
import { readAssembly } from "../../localstack/runtime/assembly.ts";
import { readStack } from "../../localstack/runtime/template-reader.ts";
import { servicesSettings } from "../../localstack/services/index.ts";
import { type SeparateServices, useSeparateServices } from "./separate-services.ts";

const VOTERS = 15_000;
const repoRoot = servicesSettings().repoRoot;

describe("local runtime killed with SIGKILL mid-stream, then restarted", () => {
  let services: SeparateServices;
  let runtimeDir = "";
  const producedKeys = new Map<string, Set<string>>(); // raw table → record keys produced
  const children: ChildProcess[] = [];
  let databaseUrl = "";
  let rowsAtKill = 0;
  let produced = 0;
  let leftAfterKill: string[] = [];
  let leftAfterDown: string[] = [];
  let pidFileAfterDown = true;

  beforeAll(async () => {
    // Prepare: a second set of services; the child runtime inherits this process's environment.
    services = await useSeparateServices();
    runtimeDir = services.runtimeDir;
    databaseUrl = services.databaseUrl;
    const first = await startRuntime(children, "first");

    // Act: produce while the runtime lands and loads; SIGKILL it once some raw rows exist.
    const elections = getDataset("elections");
    // Turnout 1: every voter votes, so the votes are exactly VOTERS.
    const options = { count: VOTERS, seed: 11, turnout: 1 };
    const source = chooseSource(elections, "generator", options).open(options);
    const producing = produceDataset(loadConfig(), elections, {
      ...source,
      records: recordKeys(source.records, elections.topics, producedKeys),
    });
    rowsAtKill = await waitFor(async () => {
      const rows = await rawRowCount(databaseUrl);
      return rows > 0 ? rows : undefined;
    });
    process.kill(first.pid as number, "SIGKILL");
    await exited(first);
    leftAfterKill = processesInGroup(first.pid as number);
    const lagAtKill = await landingLag();
    const result = await producing;
    produced = result.produced;
    expect(result.invalid).toBe(0);

    await startRuntime(children, "second");
    await waitForLoaded(landingGroups(), 600_000, () => undefined);

    // Stop it the way a user does; the foreground process must leave nothing behind.
    const second = children[1] as ChildProcess;
    execFileSync(process.execPath, ["bin/pipeline.mjs", "local", "down"], {
      cwd: repoRoot,
      env: process.env,
    });
    await exited(second);
    leftAfterDown = processesInGroup(second.pid as number);
    pidFileAfterDown = existsSync(join(runtimeDir, "runtime.pid"));
    console.info(
      `SIGKILL with ${rowsAtKill} of ${produced} records loaded and ${lagAtKill} not landed (committed); ` +
        `after the restart: ${await manifestSummary(databaseUrl)}`,
    );
  }, 900_000);

  afterAll(async () => {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null)
        process.kill(-(child.pid as number), "SIGKILL");
    }
    await services?.release();
  });

  it("was killed mid-stream: some raw rows, not all of them", () => {
    expect(rowsAtKill).toBeGreaterThan(0);
    expect(rowsAtKill).toBeLessThan(produced);
  });

  it("holds exactly the produced records in every raw table: no loss, no duplicates", async () => {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      let total = 0;
      for (const [table, keys] of producedKeys) {
        const { rows } = await client.query<{ n: string; records: string; keys: string }>(
          `select count(*)::bigint as n,
                  count(distinct (topic, partition, "offset"))::bigint as records,
                  count(distinct record_key)::bigint as keys
           from raw.${table}`,
        );
        const counts = rows[0];
        expect(Number(counts?.n), table).toBe(keys.size);
        expect(Number(counts?.records), table).toBe(keys.size);
        expect(Number(counts?.keys), table).toBe(keys.size);
        total += keys.size;
      }
      expect([...producedKeys.keys()].sort()).toEqual([
        "elections_candidates",
        "elections_voters",
        "elections_votes",
      ]);
      expect(producedKeys.get("elections_votes")?.size).toBe(VOTERS);
      expect(total).toBe(produced);
    } finally {
      await client.end();
    }
  });

  it("reconciles exactly with `pipeline reconcile --json`: nothing lost, nothing duplicated", () => {
    // Assess: the documented report, per topic [topic, records in Kafka, raw rows, lost, duplicated, issues].
    const report = JSON.parse(
      execFileSync(process.execPath, ["bin/pipeline.mjs", "reconcile", "--dataset", "elections", "--json"], {
        cwd: repoRoot,
        env: process.env,
        encoding: "utf8",
      }),
    ) as ReconcileReport;
    const expected = [...producedKeys].map(([table, keys]) => [
      `elections.${table.slice("elections_".length)}`,
      keys.size,
    ]);
    expect(report.reconciled).toBe(true);
    expect(
      report.topics.map((t) => [t.topic, t.kafka.records, t.raw.rows, t.lost, t.duplicated, t.issues]),
    ).toEqual(expected.sort().map(([topic, n]) => [topic, n, n, 0, 0, []]));
  });

  it("left no process behind, after the kill and after `local down`", () => {
    expect(leftAfterKill).toEqual([]);
    expect(leftAfterDown).toEqual([]);
    expect(pidFileAfterDown).toBe(false);
  });
});

/** `pipeline local up` in its own process group; resolves once its log says it runs. */
async function startRuntime(children: ChildProcess[], name: string): Promise<ChildProcess> {
  const logFile = join(process.env.PIPELINE_RUNTIME_DIR as string, `${name}.log`);
  const log = openSync(logFile, "a");
  const child = spawn(process.execPath, ["bin/pipeline.mjs", "local", "up"], {
    cwd: repoRoot,
    env: process.env,
    detached: true,
    stdio: ["ignore", log, log],
  });
  children.push(child);
  await waitFor(async () => {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`runtime exited early:\n${readFileSync(logFile, "utf8")}`);
    return readFileSync(logFile, "utf8").includes("local runtime running") || undefined;
  });
  return child;
}

/** The landing consumer groups of the assembly the child synthesized, as the runtime runs them. */
function landingGroups() {
  const [artifact] = readAssembly(join(process.env.PIPELINE_RUNTIME_DIR as string, "cdk.out"));
  const stack = readStack(artifact as NonNullable<typeof artifact>, repoRoot, loadConfig().aws.region);
  return stack.kafkaMappings
    .filter((mapping) => mapping.enabled && mapping.functionName.endsWith("-land-records"))
    .map((mapping) => ({ groupId: mapping.groupId, topics: mapping.topics }));
}

/** Records the landing groups have not committed, summed (diagnostics only). */
async function landingLag(): Promise<number> {
  let lag = 0;
  for (const group of landingGroups()) {
    lag += await readConsumerLag(loadConfig(), group.groupId, group.topics).catch(() => 0);
  }
  return lag;
}

/** Passes the records through, remembering each one's record key per raw table. */
async function* recordKeys(
  records: AsyncIterable<SourceRecord>,
  topics: ReturnType<typeof getDataset>["topics"],
  keys: Map<string, Set<string>>,
): AsyncIterable<SourceRecord> {
  for await (const record of records) {
    const spec = topics.find((t) => t.entity === record.entity);
    if (spec) {
      const seen = keys.get(spec.rawTable) ?? new Set<string>();
      seen.add(spec.key(record.value as never));
      keys.set(spec.rawTable, seen);
    }
    yield record;
  }
}

/** Rows the loader committed so far (0 before the first load creates the manifest). */
async function rawRowCount(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>(
      "select coalesce(sum(rows_inserted), 0)::bigint as n from raw._load_manifest",
    );
    return Number(rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
}

/** Objects loaded, and rows in them vs rows inserted (more in objects: a batch landed twice). */
async function manifestSummary(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ objects: string; in_objects: string; inserted: string }>(
      `select count(*) as objects, sum(rows_in_object) as in_objects, sum(rows_inserted) as inserted
       from raw._load_manifest`,
    );
    const r = rows[0];
    return `${r?.objects} objects loaded holding ${r?.in_objects} rows, ${r?.inserted} inserted`;
  } finally {
    await client.end();
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/** Processes still in the process group the child led, as "pid command" (none once all are gone). */
function processesInGroup(pgid: number): string[] {
  const out = execFileSync("ps", ["-eo", "pid=,pgid=,args="], { encoding: "utf8" });
  return out
    .split("\n")
    .map((line) => line.trim().match(/^(\d+)\s+(\d+)\s+(.*)$/))
    .filter((match) => match !== null && Number(match[2]) === pgid)
    .map((match) => `${match?.[1]} ${match?.[3]}`);
}

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 300_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch((error: unknown) => {
      if ((error as Error).message.startsWith("runtime exited early")) throw error;
      return undefined;
    });
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 200));
  }
}
