/**
 * Stage 1, ingest: the votes file through producer → Kafka → land-records → S3 → load-raw →
 * raw table, with the local runtime running as in production. Each stage's rate is its
 * records over its span: from the moment its input first held records to its last record
 * (so a stage that keeps up shows its upstream's rate, and a slower one its own).
 */
import { loadConfig } from "../core/config/index.ts";
import { elections } from "../core/datasets/elections/index.ts";
import { produceDataset } from "../core/producer/produce-dataset.ts";
import { LandingCounter, landedObjects, loadedVotes } from "./counters.ts";
import { type VotesFile, voteRecords } from "./data.ts";
import { StageError } from "./errors.ts";
import { perSecond, sleep } from "./measure.ts";
import { type NotificationDelay, notificationDelaysFromNow } from "./notification-delay.ts";
import { cpuSnapshot } from "./process-usage.ts";
import type { RunningRuntime } from "./runtime-process.ts";

export interface StageRate {
  readonly records: number;
  readonly seconds: number;
  readonly perSecond: number;
}

export interface RuntimeUsage {
  readonly peakRssBytes: number;
  readonly cpuSeconds: number;
  /** Average CPU over the stage, percent of one core (200 = both cores of this machine). */
  readonly cpuPercent: number;
}

export interface IngestFigures {
  readonly records: number;
  readonly endToEnd: StageRate;
  readonly produce: StageRate;
  readonly land: StageRate;
  readonly load: StageRate;
  readonly runtime: RuntimeUsage;
  /** CPU seconds each native service (with its child processes) spent during the ingest. */
  readonly servicesCpuSeconds: Readonly<Record<string, number>>;
  /** raw/ objects the votes landed in: one per partition batch, one load-raw transaction each. */
  readonly objects: number;
  /** Each raw/ object's S3 notification: from its write to load-raw's invocation. */
  readonly notificationDelay: NotificationDelay;
}

/** Counts of each stage as the ingest goes, for a progress display. */
export interface IngestProgress {
  readonly produced: number;
  readonly landed: number;
  readonly loaded: number;
}

export interface IngestOptions {
  readonly onProgress?: (progress: IngestProgress) => void;
  /** Give up when no stage moved for this long. */
  readonly stallTimeoutMs?: number;
  /** The services' main processes by name, to read their CPU time. */
  readonly servicePids?: Readonly<Record<string, number>>;
}

const POLL_MS = 250;

export async function runIngest(
  file: VotesFile,
  runtime: RunningRuntime,
  options: IngestOptions = {},
): Promise<IngestFigures> {
  const landing = await LandingCounter.open(loadConfig());
  try {
    return await ingest(file, runtime, options, landing);
  } finally {
    await landing.close();
  }
}

async function ingest(
  file: VotesFile,
  runtime: RunningRuntime,
  options: IngestOptions,
  landing: LandingCounter,
): Promise<IngestFigures> {
  const config = loadConfig();
  const n = file.count;
  // Earlier runs (the real-time stage, smaller scales) left votes behind: count only this run's.
  const landedBefore = await landing.landedVotes();
  const loadedBefore = await loadedVotes(config);
  const usageBefore = runtime.usage();
  const objectsBefore = await landedObjects(config);
  const notificationDelay = notificationDelaysFromNow();
  const servicesCpu = cpuSnapshot(options.servicePids ?? {});
  const t0 = performance.now();
  const at = { firstAck: 0, produced: 0, firstLanded: 0, landed: 0, loaded: 0 };
  let progress: IngestProgress = { produced: 0, landed: 0, loaded: 0 };
  const report = (change: Partial<IngestProgress>) => {
    progress = { ...progress, ...change };
    options.onProgress?.(progress);
  };

  const producing = produceDataset(
    config,
    elections,
    { name: "generator", records: voteRecords(file) },
    {
      onProgress: (p) => {
        if (p.produced > 0 && !at.firstAck) at.firstAck = performance.now();
        report({ produced: Math.max(0, p.produced - 3) }); // less the three candidates
      },
    },
  ).then((result) => {
    at.produced = performance.now();
    return result;
  });
  let produceError: unknown;
  producing.catch((error: unknown) => {
    produceError = error;
  });

  const stallTimeoutMs = options.stallTimeoutMs ?? 180_000;
  let lastMove = performance.now();
  while (!at.loaded) {
    await sleep(POLL_MS);
    if (produceError) throw new StageError("producing the votes failed", { cause: produceError });
    const landed = (await landing.landedVotes()) - landedBefore;
    const loaded = (await loadedVotes(config)) - loadedBefore;
    const now = performance.now();
    if (landed !== progress.landed || loaded !== progress.loaded) lastMove = now;
    if (landed > 0 && !at.firstLanded) at.firstLanded = now;
    if (landed >= n && !at.landed) at.landed = now;
    if (loaded >= n) at.loaded = now;
    report({ landed, loaded });
    if (now - lastMove > stallTimeoutMs && at.produced) {
      throw new StageError(
        `ingest stalled: ${landed}/${n} votes landed, ${loaded}/${n} loaded, nothing moved for ${stallTimeoutMs / 1000} s`,
      );
    }
  }
  await producing;
  const usageAfter = runtime.usage();
  const servicesCpuSeconds = servicesCpu.since();
  const objects = (await landedObjects(config)) - objectsBefore;
  const span = (from: number, to: number) => rate(n, (to - from) / 1000);
  const wall = (at.loaded - t0) / 1000;
  const cpuSeconds = usageAfter.cpuSeconds - usageBefore.cpuSeconds;
  return {
    records: n,
    endToEnd: span(t0, at.loaded),
    produce: span(t0, at.produced),
    land: span(at.firstAck || t0, at.landed),
    load: span(at.firstLanded, at.loaded),
    runtime: {
      peakRssBytes: usageAfter.peakRssBytes,
      cpuSeconds: round(cpuSeconds),
      cpuPercent: Math.round((cpuSeconds / wall) * 100),
    },
    servicesCpuSeconds,
    objects,
    notificationDelay: notificationDelay(),
  };
}

function rate(records: number, seconds: number): StageRate {
  return { records, seconds: round(seconds), perSecond: perSecond(records, seconds) };
}

const round = (x: number) => Math.round(x * 1000) / 1000;

/** Waits until `count` votes (in all) are loaded, e.g. the real-time stage's before an ingest. */
export async function waitForVotesLoaded(count: number, timeoutMs: number): Promise<void> {
  const config = loadConfig();
  const deadline = performance.now() + timeoutMs;
  let loaded = 0;
  while (performance.now() < deadline) {
    loaded = await loadedVotes(config);
    if (loaded >= count) return;
    await sleep(POLL_MS);
  }
  throw new StageError(`only ${loaded}/${count} votes were loaded after ${timeoutMs / 1000} s`);
}
