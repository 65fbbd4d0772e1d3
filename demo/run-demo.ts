/**
 * The offline demo, end to end on the synthesized stack: services up, the local runtime
 * deployed and started, sample data of every dataset produced, landing and loading waited
 * for, one pipeline run (dbt on the warehouse), and a summary of what happened where.
 * `warehouse: "snowflake"` runs the same on the offline Snowflake (fakesnow): the local target
 * synthesized with `-c warehouse=snowflake` (load-raw behind S3 → SQS, dbt's `prod` target
 * with its key pair from Secrets Manager), the secret filled with a generated key pair and the
 * setup SQL run once (localstack/services/snowflake/setup.ts).
 */
import { loadConfig } from "../core/config/index.ts";
import { datasets } from "../core/datasets/index.ts";
import { dbtSchema } from "../core/dbt/schema.ts";
import type { ProduceResult } from "../core/producer/produce.ts";
import { chooseSource, produceDataset } from "../core/producer/produce-dataset.ts";
import { type ReconcileReport, reconcile, topicLocations } from "../core/reconcile/index.ts";
import { summarizeStates } from "../core/runs/summarize-states.ts";
import type { Execution } from "../core/runs/types.ts";
import { DEFAULT_RAW_SCHEMA } from "../core/warehouse/raw-tables.ts";
import { type WarehouseReader, warehouseReader } from "../core/warehouse/reader.ts";
import { openRuntime } from "../localstack/runtime/open.ts";
import type { LocalRuntime } from "../localstack/runtime/runtime.ts";
import { servicesSettings, up } from "../localstack/services/index.ts";
import { NAMES } from "../localstack/services/registry.ts";
import { setUpOfflineSnowflake } from "../localstack/services/snowflake/setup.ts";
import { landedBatchKeys, landingGroups, waitForLoaded } from "./wait-for-loaded.ts";

export interface DemoOptions {
  /** Voters of the elections sample (those who turn out vote once). */
  readonly voters: number;
  readonly seed: number;
  readonly log: (line: string) => void;
  /** Give up waiting for landing/loading after this long. */
  readonly timeoutMs?: number;
  /** The warehouse of the local target. @default "postgres" */
  readonly warehouse?: "postgres" | "snowflake";
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

/** The services the demo uses: the offline Snowflake only when it is the warehouse. */
function demoServices(warehouse: "postgres" | "snowflake"): string[] {
  return warehouse === "snowflake" ? [...NAMES] : NAMES.filter((name) => name !== "snowflake");
}

/** The Snowflake stage the local target's loader COPYs from (infra/config.ts's default). */
const SNOWFLAKE_STAGE = "RAW.LAKE_STAGE";

/**
 * load-raw's batching window on Snowflake in the demo: the sample lands 16 objects within
 * seconds, so a deployment's window (infra/config.ts) would only be waited out, once per run.
 */
const DEMO_SNOWFLAKE_LOAD_BATCHING_WINDOW_SECONDS = 5;

export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const { log } = options;
  const warehouse = options.warehouse ?? "postgres";
  const step = (line: string) => log(`    ${line}`);
  const since = (started: number) => `${((Date.now() - started) / 1000).toFixed(1)} s`;
  log(
    `1/5 starting the native services (Kafka, PostgreSQL, AWS emulator, ${warehouse === "snowflake" ? "Snowflake (fakesnow), " : ""}dbt); synthesizing the local target meanwhile…`,
  );
  let started = Date.now();
  // The synth needs no service: it runs while they start (a first run spends minutes in pip).
  // The runtime's own log stays quiet; the synth says what it does.
  const opening = openRuntime({
    log: () => undefined,
    progress: (m) => step(`synth: ${m}`),
    context:
      warehouse === "snowflake"
        ? {
            warehouse,
            snowflakeLoadBatchingWindowSeconds: String(DEMO_SNOWFLAKE_LOAD_BATCHING_WINDOW_SECONDS),
          }
        : undefined,
  });
  opening.catch(() => undefined); // awaited below; a failure of `up` must not leave it unhandled
  await up(servicesSettings(), demoServices(warehouse), step);
  step(`services up in ${since(started)}`);

  log("2/5 deploying the local target on the local runtime…");
  const runtime = await opening;
  // This process reads the warehouse too (the wait, reconcile, the gold sample): the same one.
  const restoreEnv = useWarehouseEnv(runtime, warehouse);
  try {
    started = Date.now();
    await runtime.deploy();
    if (warehouse === "snowflake") {
      await setUpOfflineSnowflake({
        secretId: process.env.SNOWFLAKE_SECRET_ID as string,
        port: servicesSettings().ports.snowflake,
        rawSchema: DEFAULT_RAW_SCHEMA,
        stage: SNOWFLAKE_STAGE,
        bucket: loadConfig().buckets.raw,
      });
      step("Snowflake: secret filled with a new key pair; database, raw tables and stage created");
      step(
        `load-raw gathers S3 events for ${DEMO_SNOWFLAKE_LOAD_BATCHING_WINDOW_SECONDS} s per COPY in the demo (a deployment's: the snowflakeLoadBatchingWindowSeconds context key)`,
      );
    }
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
    const gold =
      finished.status === "SUCCEEDED"
        ? await goldSample(warehouseReader(loadConfig(), { schema: dbtSchema() }))
        : emptyGold();
    return { produced, report, execution: finished, gold };
  } finally {
    await runtime.stop();
    restoreEnv();
  }
}

/**
 * Points this process at the stack's warehouse (WAREHOUSE_TARGET, and for Snowflake the
 * stack's secret and stage, as the functions have them); returns what puts the environment back.
 */
function useWarehouseEnv(runtime: LocalRuntime, warehouse: "postgres" | "snowflake"): () => void {
  const secret = runtime.stack.resources.find((r) => r.type === "secret")?.name;
  const wanted: Record<string, string | undefined> =
    warehouse === "snowflake"
      ? { WAREHOUSE_TARGET: "snowflake", SNOWFLAKE_SECRET_ID: secret, SNOWFLAKE_STAGE }
      : { WAREHOUSE_TARGET: "postgres" };
  if (warehouse === "snowflake" && !secret) throw new Error("the Snowflake local target has no secret");
  const saved = Object.fromEntries(Object.keys(wanted).map((k) => [k, process.env[k]]));
  Object.assign(process.env, wanted);
  return () => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
}

function emptyGold(): GoldSample {
  return { resultsByCandidate: [], revenueByRegion: [], latestCloses: [] };
}

/**
 * A few gold-layer figures to show that the marts hold what was produced: the same SQL on
 * either warehouse, numbers as numbers (PostgreSQL answers numeric as strings) and dates as days.
 */
async function goldSample(reader: WarehouseReader): Promise<GoldSample> {
  // DBT_SCHEMA comes from the environment: validated (and quoted) by the reader before SQL.
  const schema = dbtSchema();
  const query = async (sql: string) => {
    try {
      return ((await reader.query(sql)) ?? []).map(plainRow);
    } catch (error) {
      return [{ error: (error as Error).message }];
    }
  };
  return {
    resultsByCandidate: await query(
      `select candidate_name, party, votes, round(vote_share * 100, 1) as vote_share_pct from ${reader.relation(schema, "election_results_by_candidate")} order by position, candidate_name`,
    ),
    revenueByRegion: await query(
      `select region, cast(sum(revenue) as numeric(18, 2)) as revenue, cast(sum(profit) as numeric(18, 2)) as profit from ${reader.relation(schema, "sales_by_region_category_month")} group by region order by revenue desc`,
    ),
    latestCloses: await query(
      `select symbol, trading_date, close_price from (select symbol, trading_date, close_price, row_number() over (partition by symbol order by trading_date desc) as n from ${reader.relation(schema, "fct_stock_daily_prices")} where series = 'real') latest where n = 1 order by symbol`,
    ),
  };
}

/** A gold row as both warehouses show it: numeric strings as numbers, dates as YYYY-MM-DD. */
function plainRow(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(row).map(([key, value]) => {
      if (value instanceof Date) return [key, value.toISOString().slice(0, 10)];
      if (typeof value === "string" && /^-?\d+(\.\d+)?$/.test(value)) return [key, Number(value)];
      return [key, value];
    }),
  );
}
