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
}

const POLL_MS = 50;

/** Waits until the live totals hold `expected` votes (the aggregate caught up with the ingest). */
export async function waitForLiveTotal(source: LiveSource, expected: number, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let total = 0;
  while (Date.now() < deadline) {
    total = await source.totalVotes().catch(() => 0);
    if (total >= expected) return total;
    await sleep(500);
  }
  throw new StageError(`the live totals reached ${total}/${expected} votes in ${timeoutMs / 1000} s`);
}

export async function runRealtime(
  file: VotesFile,
  ratePerSecond: number,
  source: LiveSource,
): Promise<RealtimeFigures> {
  const base = await source.totalVotes();
  const acks: Array<{ count: number; at: number }> = [];
  let lastCount = 0;
  const started = performance.now();
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
  let next = 0; // the first ack not yet seen in the totals
  const deadline = () =>
    produced ? performance.now() - started > (file.count / ratePerSecond) * 1000 + 60_000 : false;
  while (!(produced && next >= acks.length)) {
    if (deadline()) throw new StageError(`the live totals never showed ${file.count} new votes`);
    const visible = (await source.totalVotes()) - base;
    const now = performance.now();
    for (; next < acks.length && (acks[next]?.count ?? 0) <= visible; next++)
      latencies.push(now - (acks[next]?.at ?? now));
    await sleep(POLL_MS);
  }
  await producing;
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
  };
}
