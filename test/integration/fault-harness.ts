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
import { readConsumerLag } from "../../core/reconcile/readers.ts";
import { DEFAULT_RAW_SCHEMA } from "../../core/warehouse/raw-tables.ts";
import { unloadedKeys, warehouseTarget } from "../../core/warehouse/target.ts";
import { landedBatchKeys, landingGroups, waitForLoaded } from "../../demo/wait-for-loaded.ts";
import type { PendingResult } from "../../lambdas/load-pending/pending.ts";
import { ASYNC_RETRY_BASE_ENV } from "../../localstack/runtime/functions/async-invoke.ts";
import { openRuntime } from "../../localstack/runtime/open.ts";
import type { LocalRuntime } from "../../localstack/runtime/runtime.ts";
import { lastArnPart } from "../../localstack/runtime/template-reader.ts";
import type { AsyncInvocationRecord } from "../../localstack/runtime/triggers/destinations.ts";
import { drainQueue } from "../fixtures/queues.ts";
import { until } from "../fixtures/until.ts";
import { type SeparateServices, useSeparateServices } from "./separate-services.ts";

const run = promisify(execFile);

// S3 invokes load-raw asynchronously: Lambda retries a failed load after about 1 and 2 minutes,
// then gives the event to the on-failure queue. The fault tests wait 2 s and 4 s (the test knob,
// docs/ARCHITECTURE.md "Delivery when it fails"), so a fault outlasting them exhausts the retries.
process.env[ASYNC_RETRY_BASE_ENV] ??= "2";
const CLI = join(import.meta.dirname, "../../bin/pipeline.mjs");

export interface FaultStack {
  readonly services: SeparateServices;
  readonly runtime: LocalRuntime;
  /** What the runtime logged (retries, failures), for assertions and for diagnosing a failure. */
  readonly log: string[];
  /** Stops the runtime, then the services. */
  release(): Promise<void>;
}

/** Separate services (see separate-services.ts) and the local stack deployed and running on them. */
export async function startFaultStack(): Promise<FaultStack> {
  const services = await useSeparateServices();
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
 * An election produced slowly enough for a fault to land mid-stream (500 records/s in batches
 * of 200: 3,000 voters are a stream of ≈ 10 s; at 1,000/s a loaded CI machine once landed its
 * first object only after the last record was sent, and the "mid-stream" fault came after it);
 * `acknowledged()` is how many records Kafka has acknowledged so far.
 */
export function produceElectionSlowly(
  voters: number,
  seed: number,
): { readonly done: Promise<ProduceResult>; acknowledged(): number } {
  let acknowledged = 0;
  const done = produceElection(voters, seed, {
    rate: 500,
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

/** What Lambda gave up on and what the pipeline run's "load pending" step then loaded. */
export interface AfterRetries {
  /** raw/ keys whose load-raw event went to the on-failure queue (retries exhausted or too old). */
  readonly givenUp: ReadonlySet<string>;
  /** Landed batches not loaded once every load-raw event was delivered or given up on. */
  readonly unloaded: ReadonlySet<string>;
  /** load-pending's result, run as the pipeline run's first step runs it. */
  readonly pending: PendingResult;
}

/**
 * As in AWS, a landed object whose load-raw event failed every attempt is not lost: its event
 * is in load-raw's on-failure queue, and the next pipeline run's "load pending files" step
 * loads every object the manifest lacks. Waits until landing caught up and every load-raw
 * event succeeded or was given up on, reads the on-failure queue, then runs load-pending.
 */
export async function loadWhatRetriesGaveUpOn(stack: FaultStack, timeoutMs = 180_000): Promise<AfterRetries> {
  const config = loadConfig();
  const groups = landingGroups(stack.runtime);
  await until(
    "landing caught up",
    async () => {
      let lag = 0;
      for (const g of groups) lag += await readConsumerLag(config, g.groupId, g.topics).catch(() => 1);
      return lag === 0 ? true : undefined;
    },
    timeoutMs,
  );
  await stack.runtime.settleS3();
  const loadRaw = stack.runtime.stack.functions.find((f) => f.pipelineFunction === "load-raw");
  const queueArn = loadRaw?.asyncInvoke.onFailureArn;
  if (!loadRaw || !queueArn) throw new Error("the template gives load-raw no on-failure destination");
  const givenUp = new Set<string>();
  for (const m of await drainQueue(lastArnPart(queueArn), 300)) {
    const record = JSON.parse(m.Body ?? "{}") as Partial<AsyncInvocationRecord>;
    if (!record.requestContext?.functionArn.includes(`:function:${loadRaw.functionName}:`)) continue;
    const payload = record.requestPayload as { Records?: Array<{ s3: { object: { key: string } } }> };
    for (const r of payload.Records ?? [])
      givenUp.add(decodeURIComponent(r.s3.object.key.replaceAll("+", " ")));
  }
  const target = warehouseTarget({ ...process.env, RAW_SCHEMA: DEFAULT_RAW_SCHEMA });
  const unloaded = await unloadedKeys(target, await landedBatchKeys());
  const pending = await stack.runtime.invoke<PendingResult>(stack.runtime.functionNameOf("load-pending"), {});
  return { givenUp, unloaded, pending };
}

/** The check after {@link loadWhatRetriesGaveUpOn}: no object left unloaded without its event in the on-failure queue. */
export function itLosesNothingToExhaustedRetries(outcome: () => AfterRetries): void {
  it("loses no object to exhausted retries: what load-raw gave up on is in its on-failure queue, and load-pending loads it", () => {
    // Assess: every object left unloaded had its event given up on (none vanished silently),
    // and the run's load-pending step loaded exactly those.
    const { unloaded, givenUp, pending } = outcome();
    expect([...unloaded].filter((key) => !givenUp.has(key))).toEqual([]);
    expect(pending.loaded).toBe(unloaded.size);
  });
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
