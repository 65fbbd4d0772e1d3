/**
 * The whole benchmark, in the order that keeps the stages from competing for the machine's
 * cores: on a fresh, separate set of services — ingest at each scale, transform, real-time
 * (while the runtime runs), then with the runtime stopped the reference limits and the
 * baseline on the same data; the services are stopped and removed at the end.
 */

import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, release, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { onInterrupt } from "../core/process/interrupt.ts";
import { closePostgresPools } from "../core/warehouse/postgres/pool.ts";
import { useLocalServicesEnv } from "../localstack/runtime/open.ts";
import { startSeparateServices } from "../localstack/services/separate.ts";
import { runBaseline } from "./baseline.ts";
import { type VotesFile, writeVotesFile } from "./data.ts";
import { type IngestFigures, type IngestProgress, runIngest, waitForVotesLoaded } from "./ingest.ts";
import { measureLimits, type ReferenceLimits } from "./limits.ts";
import { dashboardSource, type RealtimeFigures, runRealtime, storeSource } from "./realtime.ts";
import { type FunctionsFigures, type RunningRuntime, startRuntime } from "./runtime-process.ts";
import { type ScalePoint, scalePoints } from "./scaling.ts";
import { measureServingState, type ServingStateFigures } from "./serving-state.ts";
import { runTransform, type TransformFigures } from "./transform.ts";
import { registerVotersLive } from "./voters.ts";

export interface BenchOptions {
  /** Ingest sizes, ascending; the largest is the main ingest every other figure refers to. */
  readonly scales: readonly number[];
  readonly realtimeRate: number;
  readonly realtimeSeconds: number;
  /** The real-time stage again at a peak rate, right after it (its own votes and voters). */
  readonly peakRate: number;
  readonly peakSeconds: number;
  readonly incrementalRows: number;
  /** The baseline inserts row by row: at most this many votes (its rate settles quickly). */
  readonly baselineRecords: number;
  readonly seed: number;
  readonly quick: boolean;
  /** Ports of the benchmark's own services: base+92 Kafka, +432 PostgreSQL, +566 emulator. */
  readonly portBase: number;
  /** Write CPU profiles of the runtime during the main ingest here. */
  readonly cpuProfileDir?: string;
  readonly log: (line: string) => void;
  readonly onIngestProgress?: (
    records: number,
  ) => ((progress: IngestProgress) => void) & { done?: () => void };
}

export interface Fractions {
  /** Our producer ÷ Kafka ProducerPerformance. */
  readonly produce: number;
  /** land-records ÷ Kafka ConsumerPerformance. */
  readonly land: number;
  /** load-raw ÷ psql COPY. */
  readonly load: number;
  /** End to end ÷ the slowest of the three limits. */
  readonly endToEnd: number;
}

export interface BenchResult {
  readonly date: string;
  readonly machine: {
    cpuModel: string;
    cores: number;
    memoryBytes: number;
    os: string;
    node: string;
    /** 1-minute load average at the start and the end: other work on the machine skews every figure. */
    loadAverage: { start: number; end: number };
  };
  readonly mode: "quick" | "full";
  readonly totalSeconds: number;
  readonly ingest: IngestFigures;
  readonly scaling: readonly ScalePoint[];
  readonly transform: TransformFigures;
  readonly realtime: RealtimeFigures;
  /** The same measure at the peak rate. */
  readonly realtimePeak: RealtimeFigures;
  readonly servingState: ServingStateFigures;
  /** The last runtime's functions (the largest ingest, the serving state, the transform): sandboxes, cold starts, most at once. */
  readonly functions: FunctionsFigures;
  readonly limits: ReferenceLimits;
  readonly fractions: Fractions;
  readonly baseline: { records: number; seconds: number; perSecond: number };
  /** Our end-to-end rate ÷ the baseline's. */
  readonly speedupOverBaseline: number;
}

export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const started = performance.now();
  const loadAtStart = loadavg()[0] ?? 0;
  // Each step stamped with the seconds since the start: where a long run spends its time.
  const log = (line: string) =>
    options.log(`[${String(Math.round((performance.now() - started) / 1000)).padStart(4)} s] ${line}`);
  log(`starting the benchmark's own services (ports ${options.portBase}+92/432/566)…`);
  const services = await startSeparateServices("bench", options.portBase, closePostgresPools, {
    // Its services are removed at the end: the emulator's request log would only cost time.
    persistEmulatorState: false,
    releaseOnInterrupt: true,
  });
  const workDir = mkdtempSync(join(tmpdir(), "bench-data-"));
  let runtime: RunningRuntime | undefined;
  // Ctrl-C or SIGTERM: the runtime stops first, then the services (registered before: after).
  const unregister = onInterrupt(async () => {
    await runtime?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });
  try {
    useLocalServicesEnv();
    const scales = [...options.scales].sort((a, b) => a - b);
    const largest = scales.at(-1) ?? 0;
    log(
      `generating ${scales.join(" + ")} votes and ${options.incrementalRows} + ${realtimeVotes(options)} + ${peakVotes(options)} more…`,
    );
    const files: VotesFile[] = [];
    for (const [i, count] of scales.entries())
      files.push(await writeVotesFile(join(workDir, `votes-${count}.ndjson`), count, options.seed + i));
    const incremental = await writeVotesFile(
      join(workDir, "incremental.ndjson"),
      options.incrementalRows,
      options.seed + 100,
    );
    const live = await writeVotesFile(
      join(workDir, "realtime.ndjson"),
      realtimeVotes(options),
      options.seed + 200,
    );
    const peak = await writeVotesFile(
      join(workDir, "realtime-peak.ndjson"),
      peakVotes(options),
      options.seed + 300,
    );
    // Every real-time vote, both stages: they land and load like any record.
    const liveCount = live.count + peak.count;

    // `cdk synth` runs only when no earlier run (or test) synthesized these sources for these
    // endpoints: synthLocal copies the assembly from `.cache/assemblies/` otherwise.
    log("real-time: starting the local runtime…");
    runtime = await startRuntime();
    const assemblyDir = runtime.assemblyDir;
    // Read the totals as the dashboard does, through its API, when the runtime serves one.
    const dashboard = await runtime.dashboardUrl();
    const source = dashboard ? dashboardSource(dashboard) : storeSource;
    log(`real-time: registering the ${liveCount} voters of the real-time votes through Kafka…`);
    await registerVotersLive(live, 600_000);
    await registerVotersLive(peak, 600_000);
    // First, while the aggregate has no backlog: its latency, not the time to catch up.
    log(`real-time: ${options.realtimeRate} votes/s for ${options.realtimeSeconds} s, via ${source.via}…`);
    const pids = { runtime: runtime.pid, ...services.pids };
    const realtime = await runRealtime(live, options.realtimeRate, source, pids);
    // Each stage's figures in the log as soon as they exist: a run cut short keeps them.
    log(`real-time: ${latencies(realtime)}`);
    log(`real-time peak: ${options.peakRate} votes/s for ${options.peakSeconds} s…`);
    const realtimePeak = await runRealtime(peak, options.peakRate, source, pids);
    log(`real-time peak: ${latencies(realtimePeak)}`);
    log("waiting for the real-time votes to land and load…");
    await waitForVotesLoaded(liveCount, 600_000);

    const runs: IngestFigures[] = [];
    for (const file of files) {
      await runtime?.stop();
      const main = file.count === largest;
      log(`ingest of ${file.count} votes: starting a fresh local runtime…`);
      runtime = await startRuntime({ assemblyDir, cpuProfileDir: main ? options.cpuProfileDir : undefined });
      const progress = options.onIngestProgress?.(file.count);
      const figures = await runIngest(file, runtime, { onProgress: progress, servicePids: services.pids });
      runs.push(figures);
      progress?.done?.();
      log(
        `ingest of ${file.count} votes: end to end ${Math.round(figures.endToEnd.perSecond)} votes/s (${figures.endToEnd.seconds} s), peak RSS ${Math.round(figures.runtime.peakRssBytes / 2 ** 20)} MB`,
      );
    }
    if (options.cpuProfileDir && runtime) {
      // The profiles are written when the runtime exits: end it here so they cover the ingest only.
      await runtime.stop();
      runtime = await startRuntime({ assemblyDir });
    }
    const ingest = runs.at(-1) as IngestFigures;
    const ingested = scales.reduce((a, b) => a + b, 0);
    if (!runtime) throw new Error("no ingest ran");
    log(`serving state: waiting for the aggregate to account for all ${ingested + liveCount} votes…`);
    const servingState = await measureServingState(ingested + liveCount, 1_800_000);

    log(
      `transform: dbt build over ${ingested + liveCount} votes, then again after ${incremental.count} new ones…`,
    );
    // The real-time voters came through Kafka (landed and loaded like any record).
    const transform = await runTransform(ingested + liveCount, incremental, runtime, [...files, incremental]);
    const functions = await runtime.stop();
    runtime = undefined;

    log("reference limits: Kafka ProducerPerformance, ConsumerPerformance, psql COPY…");
    const limits = await measureLimits(
      files.at(-1) as VotesFile,
      ingested + liveCount + incremental.count,
      workDir,
    );
    const baselineRecords = Math.min(largest, options.baselineRecords);
    log(`baseline: one consumer, one INSERT per vote, ${baselineRecords} votes…`);
    const baseline = await runBaseline(baselineRecords);

    const ratio = (a: number, b: number) => (b > 0 ? Math.round((a / b) * 1000) / 1000 : 0);
    return {
      date: new Date().toISOString(),
      machine: machine(loadAtStart),
      mode: options.quick ? "quick" : "full",
      totalSeconds: Math.round((performance.now() - started) / 1000),
      ingest,
      scaling: scalePoints(runs),
      transform,
      realtime,
      realtimePeak,
      servingState,
      functions: functions ?? {},
      limits,
      fractions: {
        produce: ratio(ingest.produce.perSecond, limits.kafkaProducePerSecond),
        land: ratio(ingest.land.perSecond, limits.kafkaConsumePerSecond),
        load: ratio(ingest.load.perSecond, limits.postgresCopyPerSecond),
        endToEnd: ratio(
          ingest.endToEnd.perSecond,
          Math.min(limits.kafkaProducePerSecond, limits.kafkaConsumePerSecond, limits.postgresCopyPerSecond),
        ),
      },
      baseline,
      speedupOverBaseline: ratio(ingest.endToEnd.perSecond, baseline.perSecond),
    };
  } finally {
    unregister();
    await runtime?.stop().catch(() => undefined);
    log("stopping the benchmark's services…");
    await services.release();
    rmSync(workDir, { recursive: true, force: true });
  }
}

function latencies(f: RealtimeFigures): string {
  return `p50 ${f.p50Ms} ms, p95 ${f.p95Ms} ms, p99 ${f.p99Ms} ms (${f.samples} samples, ${f.unseenSamples} not seen)`;
}

function realtimeVotes(options: BenchOptions): number {
  return options.realtimeRate * options.realtimeSeconds;
}

function peakVotes(options: BenchOptions): number {
  return options.peakRate * options.peakSeconds;
}

function machine(loadAtStart: number): BenchResult["machine"] {
  const cores = cpus();
  return {
    cpuModel: cores[0]?.model ?? "unknown",
    cores: cores.length,
    memoryBytes: totalmem(),
    os: `Linux ${release()}`,
    node: process.version,
    loadAverage: { start: round2(loadAtStart), end: round2(loadavg()[0] ?? 0) },
  };
}

const round2 = (x: number) => Math.round(x * 100) / 100;
