/** The benchmark's output: a table for people, JSON for machines (`--json FILE`). */
import { writeFileSync } from "node:fs";
import type { BenchResult } from "./run.ts";

const MB = 1024 * 1024;

/** A figure rounded to a whole number, with thousands separators. */
const n = (x: number) => Math.round(x).toLocaleString("en-US");

/** A real-time stage's latency percentiles and how they were read. */
function realtimeRow(stage: string, f: BenchResult["realtime"]): [string, string, string, string] {
  return [
    `${stage} (${n(f.ratePerSecond)}/s for ${f.seconds} s)`,
    `p50 ${n(f.p50Ms)} ms, p95 ${n(f.p95Ms)} ms, p99 ${n(f.p99Ms)} ms`,
    `via ${f.via}, one read ${f.readP50Ms} ms`,
    f.unseenSamples > 0
      ? `${f.samples} samples, ${f.unseenSamples} not visible after 60 s (counted as 60 s+)`
      : `${f.samples} samples`,
  ];
}

/** The result as lines of a plain-text table. */
export function formatReport(r: BenchResult): string[] {
  const pct = (x: number) => `${Math.round(x * 100)} %`;
  const rows: Array<[string, string, string, string]> = [
    ["stage", "figure", "reference limit", "of limit"],
    [
      "produce (producer → Kafka)",
      `${n(r.ingest.produce.perSecond)} rec/s`,
      `${n(r.limits.kafkaProducePerSecond)} rec/s ProducerPerformance`,
      pct(r.fractions.produce),
    ],
    [
      "land (Kafka → land-records → S3)",
      `${n(r.ingest.land.perSecond)} rec/s`,
      `${n(r.limits.kafkaConsumePerSecond)} rec/s ConsumerPerformance`,
      pct(r.fractions.land),
    ],
    [
      "load (S3 → load-raw → raw table)",
      `${n(r.ingest.load.perSecond)} rec/s (${n(r.ingest.objects)} objects)`,
      `${n(r.limits.postgresCopyPerSecond)} rec/s psql COPY`,
      pct(r.fractions.load),
    ],
    [
      "S3 notification (object written → load-raw invoked)",
      `p50 ${n(r.ingest.notificationDelay.p50Ms)} ms, p99 ${n(r.ingest.notificationDelay.p99Ms)} ms`,
      "the emulator's own event, no listing",
      `${n(r.ingest.notificationDelay.samples)} objects`,
    ],
    [
      `end to end (${n(r.ingest.records)} votes)`,
      `${n(r.ingest.endToEnd.perSecond)} rec/s, ${r.ingest.endToEnd.seconds} s`,
      "the slowest limit above",
      pct(r.fractions.endToEnd),
    ],
    [
      "runtime process",
      `peak RSS ${n(r.ingest.runtime.peakRssBytes / MB)} MB`,
      `CPU ${r.ingest.runtime.cpuSeconds} s (${r.ingest.runtime.cpuPercent} % of a core)`,
      "",
    ],
    ["services' CPU during the ingest", cpuList(r.ingest.servicesCpuSeconds), "", ""],
    [
      "baseline (row-by-row INSERT)",
      `${n(r.baseline.perSecond)} rec/s (${n(r.baseline.records)} votes)`,
      `ours ÷ baseline = ${r.speedupOverBaseline}×`,
      "",
    ],
    [
      `dbt build, full (${n(r.transform.fullBuildRows)} votes)`,
      `${r.transform.fullBuildSeconds} s`,
      `dbt ${r.transform.dbtArgs.join(" ")}`,
      "",
    ],
    [
      `dbt build, incremental after ${n(r.transform.incrementalRows)} new`,
      `${r.transform.incrementalBuildSeconds} s`,
      "the full build above",
      pct(r.transform.incrementalShareOfFull),
    ],
    realtimeRow("real-time", r.realtime),
    realtimeRow("real-time peak", r.realtimePeak),
    ["CPU during the real-time stage", cpuList(r.realtime.cpuSeconds), "", ""],
    [
      `serving state (${n(r.servingState.voterClaims)} voters claimed)`,
      `aggregate caught up in ${r.servingState.catchUpSeconds} s (${n(r.servingState.accountedVotes)}/${n(r.servingState.expectedVotes)} votes)`,
      `largest partition item ${n(r.servingState.largestPartitionItemBytes)} B of ${n(r.servingState.itemLimitBytes)}`,
      `${r.servingState.partitionItems} partition items`,
    ],
    [
      "function sandboxes (largest ingest → transform)",
      Object.entries(r.functions)
        .filter(([, f]) => f.invocations > 0)
        .map(([name, f]) => `${name} ${f.peakConcurrency}/${f.concurrency} at once, ${f.coldStarts} cold`)
        .join("; "),
      "most at once / concurrency, cold starts",
      `${n(Object.values(r.functions).reduce((sum, f) => sum + f.invocations, 0))} invocations`,
    ],
  ];
  const lines = table(rows);
  if (r.scaling.length > 1) {
    lines.push("", "Scaling (ingest end to end, fresh runtime each)");
    lines.push(
      ...table([
        ["records", "seconds", "rec/s", "peak RSS", "CPU s", "cost/record vs smallest"],
        ...r.scaling.map((s): string[] => [
          n(s.records),
          String(s.seconds),
          n(s.perSecond),
          `${n(s.peakRssBytes / MB)} MB`,
          String(s.cpuSeconds),
          `${s.relativeCostPerRecord}×`,
        ]),
      ]),
    );
  }
  lines.push(
    "",
    `${r.mode} run, ${r.date}, ${r.machine.cores} × ${r.machine.cpuModel}, ${n(r.machine.memoryBytes / MB)} MB RAM, ` +
      `${r.machine.os}, Node ${r.machine.node}; load average ${r.machine.loadAverage.start} → ` +
      `${r.machine.loadAverage.end}; ${r.totalSeconds} s in all`,
  );
  return lines;
}

/** "kafka 1.2 s, postgres 3.4 s" */
function cpuList(seconds: Readonly<Record<string, number>>): string {
  return Object.entries(seconds)
    .map(([name, s]) => `${name} ${s} s`)
    .join(", ");
}

function table(rows: ReadonlyArray<readonly string[]>): string[] {
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((row) => (row[i] ?? "").length)));
  return rows.map((row) =>
    row
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd(),
  );
}

export function writeJson(path: string, result: BenchResult): void {
  writeFileSync(path, `${JSON.stringify(result, null, 2)}\n`);
}
