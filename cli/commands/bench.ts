/**
 * `pipeline bench`: throughput per stage and end to end, real-time latency, dbt build times,
 * each stage against its reference limit on this machine, and the seed projects' baseline —
 * on the benchmark's own fresh services. Logic in bench/.
 */
import { resolve } from "node:path";
import { MultiBar, Presets } from "cli-progress";
import { type Command, InvalidArgumentError } from "commander";
import { formatProfiles, summarizeProfiles } from "../../bench/profile.ts";
import { formatReport, writeJson } from "../../bench/report.ts";
import { type BenchOptions, runBench } from "../../bench/run.ts";
import { parseScales } from "../../bench/scaling.ts";
import { ownServicesStarted } from "../../localstack/services/index.ts";

interface CliOptions {
  records?: string;
  scales?: string;
  quick?: boolean;
  rate?: string;
  seconds?: string;
  peakRate?: string;
  peakSeconds?: string;
  baselineRecords?: string;
  seed: string;
  portBase: string;
  json?: string;
  cpuProf?: string;
}

/** What `--quick` changes: small enough for CI (< 2 minutes), every figure still measured. */
const QUICK = {
  records: 20_000,
  rate: 1_000,
  seconds: 5,
  peakRate: 2_000,
  peakSeconds: 2,
  incremental: 2_000,
  baseline: 10_000,
};
const FULL = {
  records: 1_000_000,
  rate: 5_000,
  seconds: 60,
  peakRate: 20_000,
  peakSeconds: 10,
  incremental: 10_000,
  baseline: 100_000,
};

export function register(program: Command): void {
  program
    .command("bench")
    .description(
      "Benchmark the pipeline on its own fresh services: ingest throughput per stage, real-time latency, " +
        "dbt build times, each against Kafka's and PostgreSQL's own limits, and a row-by-row baseline",
    )
    .option("--records <n>", "votes to ingest (default 1,000,000; --quick 20,000)", positive)
    .option(
      "--scales <list>",
      "ingest at each of these sizes, e.g. 10000,100000,1000000 (largest = --records)",
    )
    .option("--quick", "a small run for CI: 20,000 votes, 5 s of real-time at 1,000/s")
    .option("--rate <n>", "real-time votes per second (default 5,000; --quick 1,000)", positive)
    .option("--seconds <n>", "real-time duration (default 60; --quick 5)", positive)
    .option(
      "--peak-rate <n>",
      "real-time again at this peak rate (default 20,000/s; --quick 2,000)",
      positive,
    )
    .option("--peak-seconds <n>", "the peak's duration (default 10; --quick 2)", positive)
    .option("--baseline-records <n>", "votes the row-by-row baseline inserts (default 100,000)", positive)
    .option("--seed <n>", "generator seed", "42")
    .option(
      "--port-base <n>",
      "ports of the benchmark's services: +92 Kafka, +432 PostgreSQL, +566 emulator",
      "21000",
    )
    .option("--json <file>", "also write every figure to this JSON file")
    .option(
      "--cpu-prof <dir>",
      "write V8 CPU profiles of the runtime during the main ingest to this directory",
    )
    .action(async (cli: CliOptions) => {
      // Its services are its own: an interrupt stops them, a next run stops them if it was killed.
      ownServicesStarted();
      const options = benchOptions(cli);
      const result = await runBench(options);
      console.log("");
      for (const line of formatReport(result)) console.log(line);
      if (cli.cpuProf) {
        console.log(`\nWhere the runtime's time went during the main ingest (profiles in ${cli.cpuProf}):`);
        for (const line of formatProfiles(summarizeProfiles(cli.cpuProf))) console.log(line);
      }
      if (cli.json) {
        writeJson(cli.json, result);
        console.log(`figures written to ${cli.json}`);
      }
    });
}

function benchOptions(cli: CliOptions): BenchOptions {
  const defaults = cli.quick ? QUICK : FULL;
  const records = cli.records ? Number(cli.records) : undefined;
  const scales = cli.scales ? parseScales(cli.scales) : [records ?? defaults.records];
  if (records !== undefined && !scales.includes(records)) scales.push(records);
  return {
    scales: scales.sort((a, b) => a - b),
    realtimeRate: Number(cli.rate ?? defaults.rate),
    realtimeSeconds: Number(cli.seconds ?? defaults.seconds),
    peakRate: Number(cli.peakRate ?? defaults.peakRate),
    peakSeconds: Number(cli.peakSeconds ?? defaults.peakSeconds),
    incrementalRows: defaults.incremental,
    baselineRecords: Number(cli.baselineRecords ?? defaults.baseline),
    seed: Number(cli.seed),
    quick: cli.quick === true,
    portBase: Number(cli.portBase),
    cpuProfileDir: cli.cpuProf ? resolve(cli.cpuProf) : undefined,
    log: (line) => console.log(line),
    onIngestProgress: process.stdout.isTTY ? ingestBars : undefined,
  };
}

/** Three bars on a terminal: produced, landed, loaded. */
function ingestBars(records: number) {
  const bars = new MultiBar(
    { format: " {stage} {bar} {value}/{total}", hideCursor: true, clearOnComplete: false },
    Presets.shades_classic,
  );
  const produced = bars.create(records, 0, { stage: "produced" });
  const landed = bars.create(records, 0, { stage: "landed  " });
  const loaded = bars.create(records, 0, { stage: "loaded  " });
  const update = (p: { produced: number; landed: number; loaded: number }) => {
    produced.update(p.produced);
    landed.update(p.landed);
    loaded.update(p.loaded);
  };
  return Object.assign(update, { done: () => bars.stop() });
}

function positive(value: string): string {
  const n = Number(value.replaceAll("_", "").replaceAll(",", ""));
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a positive whole number");
  return String(n);
}
