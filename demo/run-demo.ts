/**
 * The offline demo, end to end on the synthesized stack: services up, the local runtime
 * deployed and started, sample data of every dataset produced, landing and loading waited
 * for, one pipeline run (dbt on the warehouse), and a summary of what happened where.
 */
import { loadConfig } from "../core/config/index.ts";
import { datasets } from "../core/datasets/index.ts";
import type { ProduceResult } from "../core/producer/produce.ts";
import { chooseSource, produceDataset } from "../core/producer/produce-dataset.ts";
import { type ReconcileReport, reconcile, topicLocations } from "../core/reconcile/index.ts";
import type { Execution } from "../core/runs/types.ts";
import { pgQualified } from "../core/warehouse/identifiers.ts";
import { postgresPool } from "../core/warehouse/postgres/pool.ts";
import { openRuntime } from "../localstack/runtime/open.ts";
import { servicesSettings, up } from "../localstack/services/index.ts";
import { landingGroups, waitForLoaded } from "./wait-for-loaded.ts";

export interface DemoOptions {
  /** Voters (each with one vote) of the elections sample. */
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

export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const { log } = options;
  log("1/5 starting the native services (Kafka, PostgreSQL, AWS emulator, dbt)…");
  await up(servicesSettings());

  log("2/5 synthesizing the local target and deploying it on the local runtime…");
  const runtime = await openRuntime({ log: () => undefined, s3PollMs: 500 });
  try {
    await runtime.deploy();
    await runtime.start();

    log("3/5 producing sample data of every dataset…");
    const config = loadConfig();
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
    await waitForLoaded(landingGroups(runtime), options.timeoutMs ?? 600_000, log);
    const report = await reconcile(config, topicLocations(config, datasets));

    log("5/5 running the pipeline (load pending → dbt build → quality gate → publish)…");
    const { execution, done } = runtime.startExecution(undefined, {});
    log(`    execution ${execution.name}`);
    const finished = await done;
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
  const schema = process.env.DBT_SCHEMA ?? "analytics";
  return {
    resultsByCandidate: await query(
      `select candidate_name, party, votes, round(vote_share * 100, 1) as vote_share_pct from ${pgQualified(schema, "election_results_by_candidate")} order by position, candidate_name`,
    ),
    revenueByRegion: await query(
      `select region, round(sum(revenue)::numeric, 2) as revenue, round(sum(profit)::numeric, 2) as profit from ${pgQualified(schema, "sales_by_region_category_month")} group by region order by revenue desc`,
    ),
    latestCloses: await query(
      `select distinct on (symbol) symbol, trading_date, close_price from ${pgQualified(schema, "fct_stock_daily_prices")} order by symbol, trading_date desc`,
    ),
  };
}
