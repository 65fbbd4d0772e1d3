/**
 * What every fault test shares: a fresh, separate set of services with the synthesized stack
 * running on it in this process (as `pipeline local up` runs it), an election produced through
 * the real producer, waiting until everything is landed and loaded, and the verdict of
 * `pipeline reconcile --json` — the documented report, parsed, never a count of our own.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect, it } from "vitest";
import { loadConfig } from "../../core/config/index.ts";
import { elections } from "../../core/datasets/elections/index.ts";
import type { ProduceResult } from "../../core/producer/produce.ts";
import {
  chooseSource,
  type ProduceDatasetOptions,
  produceDataset,
} from "../../core/producer/produce-dataset.ts";
import type { ReconcileReport } from "../../core/reconcile/index.ts";
import { landingGroups, waitForLoaded } from "../../demo/wait-for-loaded.ts";
import { openRuntime } from "../../localstack/runtime/open.ts";
import type { LocalRuntime } from "../../localstack/runtime/runtime.ts";
import { type SeparateServices, useSeparateServices } from "./separate-services.ts";

const run = promisify(execFile);
const CLI = join(import.meta.dirname, "../../bin/pipeline.mjs");

export interface FaultStack {
  readonly services: SeparateServices;
  readonly runtime: LocalRuntime;
  /** What the runtime logged (retries, failures), for assertions and for diagnosing a failure. */
  readonly log: string[];
  /** Stops the runtime, then the services. */
  release(): Promise<void>;
}

/** Separate services on `portBase` (see separate-services.ts) and the local stack deployed and running on them. */
export async function startFaultStack(name: string, portBase: number): Promise<FaultStack> {
  const services = await useSeparateServices(name, portBase);
  const log: string[] = [];
  let runtime: LocalRuntime | undefined;
  const release = async () => {
    await runtime?.stop();
    await services.release();
  };
  try {
    runtime = await openRuntime({ log: (line) => log.push(line) });
    await runtime.deploy();
    await runtime.start();
  } catch (error) {
    await release().catch(() => undefined);
    throw error;
  }
  return { services, runtime, log, release };
}

/**
 * An election of `voters` voters (candidates, voters and one vote each) from the generator,
 * through the real producer; `rate` (records/s) spreads it over time so a fault lands mid-stream.
 */
export function produceElection(
  voters: number,
  seed: number,
  options: ProduceDatasetOptions = {},
): Promise<ProduceResult> {
  const sourceOptions = { count: voters, seed };
  const source = chooseSource(elections, "generator", sourceOptions).open(sourceOptions);
  return produceDataset(loadConfig(), elections, source, options);
}

/**
 * An election produced slowly enough for a fault to land mid-stream (1,000 records/s in
 * batches of 200); `acknowledged()` is how many records Kafka has acknowledged so far.
 */
export function produceElectionSlowly(
  voters: number,
  seed: number,
): { readonly done: Promise<ProduceResult>; acknowledged(): number } {
  let acknowledged = 0;
  const done = produceElection(voters, seed, {
    rate: 1_000,
    batchSize: 200,
    onProgress: (p) => {
      acknowledged = p.produced;
    },
  });
  return { done, acknowledged: () => acknowledged };
}

/** Until every landing consumer group has committed everything and every raw object is loaded. */
export async function waitUntilLoaded(stack: FaultStack, timeoutMs = 180_000): Promise<void> {
  try {
    await waitForLoaded(landingGroups(stack.runtime), timeoutMs, () => undefined);
  } catch (error) {
    // What the runtime said last is what tells why.
    const mappings = stack.runtime.kafkaMappings.map(
      (m) => `${m.spec.topics.join(",")}: ${JSON.stringify(m.stats)}`,
    );
    throw new Error(`${(error as Error).message}\n${[...mappings, ...stack.log.slice(-30)].join("\n")}`, {
      cause: error,
    });
  }
}

/** `pipeline reconcile --dataset <dataset> --json` on this process's services: the parsed report and the exit code. */
export async function reconcileJson(
  dataset = "elections",
): Promise<{ report: ReconcileReport; exitCode: number }> {
  const args = [CLI, "reconcile", "--json", "--dataset", dataset];
  const result = await run(process.execPath, args, { env: process.env, maxBuffer: 16 * 1024 * 1024 }).then(
    ({ stdout }) => ({ stdout, stderr: "", code: 0 }),
    (error: { stdout?: string; stderr?: string; code?: number }) => ({
      stdout: error.stdout ?? "",
      stderr: error.stderr ?? "",
      code: error.code ?? 1,
    }),
  );
  // Exit code 1 with a report is a verdict; without one, reconcile itself failed.
  if (!result.stdout.trim()) throw new Error(`reconcile printed no report: ${result.stderr.trim()}`);
  return { report: JSON.parse(result.stdout) as ReconcileReport, exitCode: result.code };
}

/** Per topic: [topic, records in Kafka, rows in the raw table, lost, duplicated, issue kinds]. */
export function verdictRows(report: ReconcileReport) {
  return report.topics.map((t) => [
    t.topic,
    t.kafka.records,
    t.raw.rows,
    t.lost,
    t.duplicated,
    t.issues.map((i) => i.kind),
  ]);
}

/** What an exact reconcile of `produced` looks like in `verdictRows`: every record once. */
export function exactRows(produced: ProduceResult) {
  return Object.entries(produced.producedByTopic).map(([topic, count]) => [topic, count, count, 0, 0, []]);
}

/** The test every fault test ends with: reconcile finds every produced record once, and exits 0. */
export function itReconcilesExactly(
  outcome: () => { produced: ProduceResult; reconciled: { report: ReconcileReport; exitCode: number } },
): void {
  it("reconciles exactly: every produced record once in the raw tables, none lost or duplicated", () => {
    // Assess
    const { produced, reconciled } = outcome();
    expect(verdictRows(reconciled.report)).toEqual(exactRows(produced));
    expect(reconciled.report.reconciled).toBe(true);
    expect(reconciled.exitCode).toBe(0);
  });
}
