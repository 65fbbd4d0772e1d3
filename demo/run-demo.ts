/**
 * The offline demo, end to end on the synthesized stack: services up, the local runtime
 * deployed and started, sample data of every dataset produced, landing and loading waited
 * for, one pipeline run (dbt on the warehouse), and a summary of what happened where.
 */
import { loadConfig } from "../core/config/index.ts";
import { datasets } from "../core/datasets/index.ts";
import { dbtSchema } from "../core/dbt/schema.ts";
import type { ProduceResult } from "../core/producer/produce.ts";
import { chooseSource, produceDataset } from "../core/producer/produce-dataset.ts";
import { type ReconcileReport, reconcile, topicLocations } from "../core/reconcile/index.ts";
import { summarizeStates } from "../core/runs/summarize-states.ts";
import type { Execution } from "../core/runs/types.ts";
import { pgQualified } from "../core/warehouse/identifiers.ts";
import { postgresPool } from "../core/warehouse/postgres/pool.ts";
import { openRuntime } from "../localstack/runtime/open.ts";
import { servicesSettings, up } from "../localstack/services/index.ts";
import { NAMES } from "../localstack/services/registry.ts";
import { landedBatchKeys, landingGroups, waitForLoaded } from "./wait-for-loaded.ts";

export interface DemoOptions {
  /** Voters of the elections sample (those who turn out vote once). */
  readonly voters: number;
  readonly seed: number;
  readonly log: (line: string) => void;
  /** Give up waiting for landing/loading after this long. */
  readonly timeoutMs?: number;
}

export interface DemoResult {
  readonly produced: Record<string, ProduceResult>;
  /** Records per stage of every dataset topic, read once landing and loading finished. */
  readonly report: ReconcileReport;
  readonly execution: Execution;
  readonly gold: GoldSample;
}

export interface GoldSample {
  readonly resultsByCandidate: Array<Record<string, unknown>>;
  readonly revenueByRegion: Array<Record<string, unknown>>;
  readonly latestCloses: Array<Record<string, unknown>>;
}

/** The services the demo uses: its warehouse is PostgreSQL, so not the offline Snowflake. */
const DEMO_SERVICES = NAMES.filter((name) => name !== "snowflake");

export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const { log } = options;
  const step = (line: string) => log(`    ${line}`);
  const since = (started: number) => `${((Date.now() - started) / 1000).toFixed(1)} s`;
  log(
    "1/5 starting the native services (Kafka, PostgreSQL, AWS emulator, dbt); synthesizing the local target meanwhile…",
  );
  let started = Date.now();
  // The synth needs no service: it runs while they start (a first run spends minutes in pip).
  // The runtime's own log stays quiet; the synth says what it does.
  const opening = openRuntime({ log: () => undefined, progress: (m) => step(`synth: ${m}`) });
  opening.catch(() => undefined); // awaited below; a failure of `up` must not leave it unhandled
  await up(servicesSettings(), DEMO_SERVICES, step);
  step(`services up in ${since(started)}`);

  log("2/5 deploying the local target on the local runtime…");
  const runtime = await opening;
  try {
    started = Date.now();
    await runtime.deploy();
    await runtime.start();
    step(`deployed and started in ${since(started)}`);

    log("3/5 producing sample data of every dataset…");
    const config = loadConfig();
    // Batches already in the lake are not this run's to wait for: an earlier run's (or a test's)
    // that never loaded are loaded, or reported, by the pipeline run's "load pending" step.
    const earlierBatches = new Set(await landedBatchKeys());
    const produced: Record<string, ProduceResult> = {};
    for (const dataset of datasets) {
      const sourceOptions = {
        count: dataset.name === "elections" ? options.voters : undefined,
        seed: options.seed,
      };
      const source = chooseSource(dataset, undefined, sourceOptions).open(sourceOptions);
      const result = await produceDataset(config, dataset, source);
      produced[dataset.name] = result;
      log(
        `    ${dataset.name}: ${result.produced} records (${source.name})${result.invalid ? `, ${result.invalid} invalid` : ""}`,
      );
    }

    log("4/5 waiting for land-records (Kafka → S3 raw) and load-raw (S3 → warehouse)…");
    await waitForLoaded(landingGroups(runtime), options.timeoutMs ?? 600_000, log, {
      exceptKeys: earlierBatches,
    });
    const report = await reconcile(config, topicLocations(config, datasets));

    log("5/5 running the pipeline (load pending → dbt build → quality gate → publish)…");
    started = Date.now();
    const { execution, done } = runtime.startExecution(undefined, {});
    step(`execution ${execution.name}`);
    // dbt takes a while: say which state the run is in every 10 s.
    const ticker = setInterval(() => {
      const current = runtime.history.get(execution.name);
      const state = current ? summarizeStates(current).findLast((s) => s.status === "RUNNING") : undefined;
      step(`running${state ? ` ${state.name}` : ""} (${since(started)})…`);
    }, 10_000);
    const finished = await done.finally(() => clearInterval(ticker));
    step(`run ${finished.status} in ${since(started)}`);
    const gold = finished.status === "SUCCEEDED" ? await goldSample(config.postgres.url) : emptyGold();
    return { produced, report, execution: finished, gold };
  } finally {
    await runtime.stop();
  }
}

function emptyGold(): GoldSample {
  return { resultsByCandidate: [], revenueByRegion: [], latestCloses: [] };
}

/** A few gold-layer figures to show that the marts hold what was produced. */
async function goldSample(url: string): Promise<GoldSample> {
  const pool = postgresPool(url);
  const query = async (sql: string) => {
    try {
      return (await pool.query(sql)).rows as Array<Record<string, unknown>>;
    } catch (error) {
      return [{ error: (error as Error).message }];
    }
  };
  // DBT_SCHEMA comes from the environment: validated and quoted before it reaches SQL.
  const schema = dbtSchema();
  return {
    resultsByCandidate: await query(
      `select candidate_name, party, votes, round(vote_share * 100, 1) as vote_share_pct from ${pgQualified(schema, "election_results_by_candidate")} order by position, candidate_name`,
    ),
    revenueByRegion: await query(
      `select region, round(sum(revenue)::numeric, 2) as revenue, round(sum(profit)::numeric, 2) as profit from ${pgQualified(schema, "sales_by_region_category_month")} group by region order by revenue desc`,
    ),
    latestCloses: await query(
      `select distinct on (symbol) symbol, trading_date, close_price from ${pgQualified(schema, "fct_stock_daily_prices")} where series = 'real' order by symbol, trading_date desc`,
    ),
  };
}
