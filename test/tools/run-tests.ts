/**
 * `npm test`'s vitest step: two vitest processes at once, one per lane (test/tools/lanes.ts),
 * each running its files one at a time —
 *
 * - `own`: the integration files that start a separate set of services on 23000 + TEST_PORT_SHIFT;
 * - `shared`: the unit project and every other integration file (the tests' own set, 17000 + shift).
 *
 * The two cannot race: other ports, other state and runtime dirs, other dbt targets, other
 * Kafka brokers and PostgreSQL clusters (so other topics, consumer groups and schemas). The
 * tests' own set is started here, before the lanes (their global setups then find it running),
 * and stopped at the end only if it was started here.
 *
 * Each lane's output is printed as it comes, every line prefixed with its lane, and kept whole in
 * `test-results/lanes-<port base>/<lane>.log`; each writes vitest's JSON report there too. Extra
 * arguments go to both lanes (a file filter, `-t`, `--reporter=…`); `--outputFile.json=FILE`
 * (with `--reporter=json`) gets the two lanes' JSON reports merged — vitest's own counts, summed
 * — which is what `.ci/run` reads. Exit status: 0 when both lanes passed, else 1.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { down, servicesSettings, up } from "../../localstack/services/index.ts";
import { testPortShift, testServicesEnv, usesSharedServices } from "../fixtures/test-services.ts";
import { LANE_ENV, type Lane, lanes } from "./lanes.ts";

const REPO_ROOT = join(import.meta.dirname, "../..");
const VITEST = join(REPO_ROOT, "node_modules", "vitest", "vitest.mjs");
const LANES: readonly Lane[] = ["own", "shared"];

interface Args {
  /** Passed to both lanes. */
  readonly passThrough: string[];
  /** Reporters other than json (default: vitest's default reporter). */
  readonly reporters: string[];
  /** Where the merged JSON report goes, if asked for. */
  readonly jsonOutput?: string;
}

export function parseArgs(argv: readonly string[]): Args {
  const passThrough: string[] = [];
  const reporters: string[] = [];
  let jsonOutput: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [name, inline] =
      arg.startsWith("--") && arg.includes("=") ? arg.split(/=(.*)/s, 2) : [arg, undefined];
    const value = () => inline ?? (argv[++i] as string);
    if (name === "--reporter") {
      const reporter = value();
      if (reporter !== "json") reporters.push(reporter);
    } else if (name === "--outputFile.json") jsonOutput = resolve(value());
    else passThrough.push(arg);
  }
  return { passThrough, reporters, jsonOutput };
}

interface LaneResult {
  readonly lane: Lane;
  readonly status: number;
  readonly seconds: number;
  readonly report?: VitestReport;
  readonly log: string;
}

interface VitestReport {
  success: boolean;
  startTime: number;
  testResults: unknown[];
  [count: `num${string}`]: number;
}

function runLane(lane: Lane, args: Args, dir: string, children: Set<ChildProcess>): Promise<LaneResult> {
  const reportFile = join(dir, `${lane}.json`);
  const logFile = join(dir, `${lane}.log`);
  rmSync(reportFile, { force: true });
  const vitestArgs = [
    VITEST,
    "run",
    // The own lane holds only integration files; the shared one both projects.
    ...(lane === "own" ? ["--project", "integration"] : []),
    ...(args.reporters.length > 0 ? args.reporters : ["default"]).map((r) => `--reporter=${r}`),
    "--reporter=json",
    `--outputFile.json=${reportFile}`,
    // A filter may leave a lane without files: that is not a failure of the run.
    "--passWithNoTests",
    ...args.passThrough,
  ];
  const started = Date.now();
  const child = spawn(process.execPath, vitestArgs, {
    cwd: REPO_ROOT,
    env: { ...process.env, [LANE_ENV]: lane },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  const log = createWriteStream(logFile);
  const prefix = `[${lane}]${" ".repeat(7 - lane.length)}`;
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on("line", (line) => {
      log.write(`${line}\n`);
      process.stdout.write(`${prefix}${line}\n`);
    });
  }
  return new Promise((done) => {
    child.on("close", (code, signal) => {
      children.delete(child);
      log.end();
      const report = existsSync(reportFile)
        ? (JSON.parse(readFileSync(reportFile, "utf8")) as VitestReport)
        : undefined;
      done({
        lane,
        status: code ?? (signal ? 1 : 0),
        seconds: (Date.now() - started) / 1000,
        report,
        log: logFile,
      });
    });
  });
}

/** The lanes' reports as one: every count summed, the test results of both, success only if both. */
export function mergeReports(reports: readonly (VitestReport | undefined)[]): VitestReport {
  const present = reports.filter((r): r is VitestReport => r !== undefined);
  const merged: VitestReport = {
    success: present.length === reports.length && present.every((r) => r.success),
    startTime: Math.min(...present.map((r) => r.startTime), Date.now()),
    testResults: present.flatMap((r) => r.testResults),
  };
  for (const report of present) {
    for (const [key, value] of Object.entries(report)) {
      if (key.startsWith("num") && typeof value === "number") {
        const count = key as `num${string}`;
        merged[count] = (merged[count] ?? 0) + value;
      }
    }
  }
  // A lane that wrote no report (vitest crashed, or was killed) is a failed suite, not an empty one.
  const missing = reports.length - present.length;
  if (missing > 0) {
    merged.numFailedTestSuites = (merged.numFailedTestSuites ?? 0) + missing;
    merged.numTotalTestSuites = (merged.numTotalTestSuites ?? 0) + missing;
  }
  return merged;
}

function summary(result: LaneResult, files: number): string {
  const r = result.report;
  const counts = r
    ? `${r.numPassedTests} passed, ${r.numFailedTests} failed` +
      (r.numPendingTests ? `, ${r.numPendingTests} skipped` : "") +
      ` in ${r.testResults.length} files` +
      (r.numFailedTestSuites ? ` (${r.numFailedTestSuites} suites failed)` : "")
    : "no report (vitest did not finish)";
  const verdict = result.status === 0 && r?.success ? "passed" : `FAILED (exit ${result.status})`;
  return `lane ${result.lane.padEnd(6)} ${verdict}: ${counts}; ${result.seconds.toFixed(0)} s wall; ${files} integration files; log ${result.log}`;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const shift = testPortShift();
  const dir = join(REPO_ROOT, "test-results", `lanes-${17_000 + shift}`);
  mkdirSync(dir, { recursive: true });
  const files = lanes();

  // The tests' own set, once for both lanes (two global setups starting it at once would take
  // turns on its lock, and the one that started it would stop it under the other lane).
  const settings = usesSharedServices()
    ? undefined
    : servicesSettings({ ...process.env, ...testServicesEnv() });
  const started = settings
    ? (await up(settings)).filter((r) => r.action === "started").map((r) => r.name)
    : [];
  if (started.length > 0) console.log(`run-tests: started the tests' services (${started.join(", ")})`);

  const children = new Set<ChildProcess>();
  let interrupted: NodeJS.Signals | undefined;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      interrupted = signal;
      for (const child of children) child.kill(signal);
    });
  }
  console.log(
    `run-tests: lane own (${files.own.length} integration files on separate sets, ports ${23_000 + shift}+) ` +
      `and lane shared (unit + ${files.shared.length} integration files, ports ${17_000 + shift}+), at once`,
  );
  const results = await Promise.all(LANES.map((lane) => runLane(lane, args, dir, children)));

  if (settings && started.length > 0) await down(settings, started);
  const merged = mergeReports(results.map((r) => r.report));
  if (args.jsonOutput) {
    mkdirSync(dirname(args.jsonOutput), { recursive: true });
    writeFileSync(args.jsonOutput, JSON.stringify(merged));
  }
  console.log("");
  for (const result of results) console.log(`run-tests: ${summary(result, files[result.lane].length)}`);
  const failed = results.some((r) => r.status !== 0 || !r.report?.success);
  console.log(
    `run-tests: ${failed ? "FAILED" : "passed"} — ${merged.numPassedTests ?? 0} passed, ${merged.numFailedTests ?? 0} failed`,
  );
  if (interrupted) return interrupted === "SIGINT" ? 130 : 143;
  return failed ? 1 : 0;
}

if (import.meta.main) process.exit(await main());
