/**
 * Stage 2, real-time: votes at a steady rate while the aggregate runs; for each acknowledged
 * producer batch, how long until the live totals include it — read the way the dashboard
 * reads them. Latency = first poll showing the batch's running total − the batch's ack time.
 */
import { loadConfig } from "../core/config/index.ts";
import { elections } from "../core/datasets/elections/index.ts";
import { produceDataset } from "../core/producer/produce-dataset.ts";
import { readLiveResults } from "../core/realtime/index.ts";
import { type VotesFile, voteRecords } from "./data.ts";
import { StageError } from "./errors.ts";
import { percentile, sleep } from "./measure.ts";
import { cpuSnapshot } from "./process-usage.ts";

/** Where the live totals are read from. */
export interface LiveSource {
  /** "dashboard API (GET /api/live)" or "readLiveResults (serving store)". */
  readonly via: string;
  totalVotes(): Promise<number>;
}

export const storeSource: LiveSource = {
  via: "readLiveResults (serving store)",
  totalVotes: async () => (await readLiveResults()).totalVotes,
};

export function dashboardSource(baseUrl: string): LiveSource {
  return {
    via: `dashboard API (GET ${baseUrl}/api/live)`,
    totalVotes: async () => {
      const response = await fetch(`${baseUrl}/api/live`);
      if (!response.ok) throw new StageError(`GET /api/live answered ${response.status}`);
      return ((await response.json()) as { totalVotes: number }).totalVotes;
    },
  };
}

export interface RealtimeFigures {
  readonly via: string;
  readonly ratePerSecond: number;
  readonly seconds: number;
  readonly votes: number;
  /** Producer batches measured (one sample each). */
  readonly samples: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Batches the totals had not shown when the wait ended (their latency is a lower bound). */
  readonly unseenSamples: number;
  /** Median time one read of the live totals took (part of every latency above). */
  readonly readP50Ms: number;
  /** CPU seconds of the runtime and of each native service over the stage. */
  readonly cpuSeconds: Readonly<Record<string, number>>;
}

const POLL_MS = 50;

export async function runRealtime(
  file: VotesFile,
  ratePerSecond: number,
  source: LiveSource,
  /** Processes whose CPU time to report: the runtime and the services, by name. */
  pids: Readonly<Record<string, number>>,
  drainTimeoutMs = 60_000,
): Promise<RealtimeFigures> {
  const cpu = cpuSnapshot(pids);
  const base = await source.totalVotes();
  const acks: Array<{ count: number; at: number }> = [];
  let lastCount = 0;
  const producing = produceDataset(
    loadConfig(),
    elections,
    { name: "generator", records: voteRecords(file) },
    {
      rate: ratePerSecond,
      onProgress: (p) => {
        const count = p.produced - 3; // less the three candidates
        if (count > lastCount) acks.push({ count, at: performance.now() });
        lastCount = count;
      },
    },
  );
  let produced = false;
  producing.then(
    () => {
      produced = true;
    },
    () => undefined,
  );

  const latencies: number[] = [];
  const reads: number[] = []; // how long each read of the totals took
  let next = 0; // the first ack not yet seen in the totals
  let drainDeadline = Number.POSITIVE_INFINITY;
  while (!(produced && next >= acks.length)) {
    const asked = performance.now();
    const visible = (await source.totalVotes()) - base;
    const now = performance.now();
    reads.push(now - asked);
    for (; next < acks.length && (acks[next]?.count ?? 0) <= visible; next++)
      latencies.push(now - (acks[next]?.at ?? now));
    if (produced && drainDeadline === Number.POSITIVE_INFINITY) drainDeadline = now + drainTimeoutMs;
    if (now > drainDeadline) break;
    await sleep(POLL_MS);
  }
  await producing;
  // Batches still not visible count with the time they waited so far: a lower bound, flagged.
  const end = performance.now();
  const unseen = acks.slice(next);
  for (const ack of unseen) latencies.push(end - ack.at);
  const ms = (p: number) => Math.round(percentile(latencies, p));
  return {
    via: source.via,
    ratePerSecond,
    seconds: file.count / ratePerSecond,
    votes: file.count,
    samples: latencies.length,
    p50Ms: ms(50),
    p95Ms: ms(95),
    p99Ms: ms(99),
    maxMs: ms(100),
    unseenSamples: unseen.length,
    readP50Ms: Math.round(percentile(reads, 50)),
    cpuSeconds: cpu.since(),
  };
}
