/**
 * The Snowflake target offline, end to end, beside the PostgreSQL target over the same input:
 * landed gzip NDJSON objects in the emulator's raw bucket are loaded by load-raw's handler
 * (Snowflake: an SQS batch of S3 notifications, one COPY INTO from the external stage + the
 * manifest MERGE through snowflake-sdk, key-pair auth from the emulator's Secrets Manager;
 * PostgreSQL: the S3 event), redelivered objects are skipped on both,
 * `dbt build` (models, yml tests, unit tests) runs twice on both — the second time
 * incrementally over a second load — and the dashboard API answers the same gold figures from
 * either warehouse. Snowflake is the `snowflake` service (fakesnow behind
 * localstack/services/snowflake/serve.py); what it cannot show: docs/ARCHITECTURE.md.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { CreateSecretCommand, DeleteSecretCommand } from "@aws-sdk/client-secrets-manager";
import type { SQSEvent } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { s3, secretsManager } from "../../core/aws/clients.ts";
import { loadConfig } from "../../core/config/index.ts";
import { runDbt } from "../../core/dbt/run.ts";
import type { ObjectRef } from "../../core/lake/index.ts";
import { objectCreatedEvent } from "../../core/lake/index.ts";
import { postgresPool } from "../../core/warehouse/index.ts";
import { snowflakeExecutor } from "../../core/warehouse/snowflake/connection.ts";
import { handleRequest } from "../../dashboard/api/router.ts";
import { handler as loadRaw } from "../../lambdas/load-raw/index.ts";
import { servicesSettings } from "../../localstack/services/settings.ts";
import {
  offlineSnowflakeSecret,
  offlineSnowflakeSetupSql,
} from "../../localstack/services/snowflake/setup.ts";
import { sqsEventOf } from "../fixtures/records.ts";
import {
  CANDIDATES,
  landedBatches,
  PartitionedLog,
  price,
  type RawRecord,
  type RawTableName,
  superstoreCsvRows,
  superstoreOrderLines,
  vote,
  voter,
} from "./dbt-fixtures.ts";

const id = randomBytes(4).toString("hex");
const bucket = `sf-e2e-${id}`;
const secretId = `sf-e2e-${id}`;
const pgRaw = `sf_raw_${id}`;
const pgGold = `sf_gold_${id}`;
const sfRaw = `raw_${id}`;
const sfGold = `gold_${id}`;
const stage = `RAW_${id}.LAKE_STAGE`.toUpperCase();
const work = mkdtempSync(join(tmpdir(), "sf-e2e-"));
const sfPort = servicesSettings().ports.snowflake;
// The service user's secret, as docs/DEPLOY.md has it filled, pointed at the offline service.
const secret = offlineSnowflakeSecret(sfPort);
const { privateKey } = secret;
const targetPool = postgresPool(loadConfig().postgres.url);
const dbtEnv = {
  postgres: { ...process.env, DBT_SCHEMA: pgGold, DBT_RAW_SCHEMA: pgRaw },
  snowflake: {
    ...process.env,
    DBT_SCHEMA: sfGold,
    DBT_RAW_SCHEMA: sfRaw,
    SNOWFLAKE_ACCOUNT: secret.account,
    SNOWFLAKE_USER: secret.username,
    SNOWFLAKE_PRIVATE_KEY: privateKey,
    SNOWFLAKE_DATABASE: secret.database,
    SNOWFLAKE_HOST: secret.host,
    SNOWFLAKE_PORT: String(sfPort),
    SNOWFLAKE_PROTOCOL: secret.protocol,
  },
};

const logs = {
  candidates: new PartitionedLog(1),
  voters: new PartitionedLog(2),
  votes: new PartitionedLog(2),
  sales: new PartitionedLog(2),
  stocks: new PartitionedLog(1),
};
const orderLines = superstoreOrderLines(superstoreCsvRows().slice(0, 300));
const DAY = 86_400_000;
const firstDay = Date.UTC(2026, 0, 5);

/** Lands records as land-records does: one gzip NDJSON object per partition, in the raw bucket. */
async function land(table: RawTableName, records: readonly RawRecord[]): Promise<ObjectRef[]> {
  const objects: ObjectRef[] = [];
  for (const { key, body } of await landedBatches(table, records)) {
    const put = await s3().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    objects.push({ bucket, key, etag: put.ETag ?? "" });
  }
  return objects;
}

function ticks(symbol: string, fromDay: number, days: number, base: number): RawRecord[] {
  return Array.from({ length: days }, (_, d) => {
    const ts = new Date(firstDay + (fromDay + d) * DAY + 15 * 3_600_000);
    return logs.stocks.append(`${symbol}|${ts.toISOString()}`, price(symbol, ts, base + d, 100), ts);
  });
}

/** One delivery of landed data: the same objects go to both warehouses. */
async function batch(first: boolean): Promise<ObjectRef[]> {
  const now = new Date();
  const voters = (first ? [1, 2, 3, 4, 5, 6] : [7, 8]).map((n) => voter(n, "e"));
  const votes = first
    ? [1, 2, 3, 4, 5, 1].map((n, i) => vote(n, "e", i === 5 ? 2 : n, now)) // voter 1 votes twice
    : [6, 7].map((n) => vote(n, "e", 0, now));
  const lines = first ? orderLines.slice(0, 200) : orderLines.slice(200);
  return [
    ...(first
      ? await land(
          "elections_candidates",
          CANDIDATES.map((c) => logs.candidates.append(c.candidate_id, c)),
        )
      : []),
    ...(await land(
      "elections_voters",
      voters.map((v) => logs.voters.append(v.login.uuid, v)),
    )),
    ...(await land(
      "elections_votes",
      votes.map((v) => logs.votes.append(v.voter_id, v)),
    )),
    ...(await land(
      "sales_orders",
      lines.map((l) => logs.sales.append(String(l["Row ID"]), l)),
    )),
    ...(await land("stocks_prices", first ? ticks("ACME", 0, 25, 100) : ticks("ACME", 25, 3, 130))),
  ];
}

/** The environment of load-raw (and the dashboard API) with `warehouse` behind it. */
function warehouseEnv(warehouse: "postgres" | "snowflake"): Record<string, string> {
  return warehouse === "postgres"
    ? { WAREHOUSE_TARGET: "postgres", RAW_SCHEMA: pgRaw, DBT_SCHEMA: pgGold }
    : {
        WAREHOUSE_TARGET: "snowflake",
        RAW_SCHEMA: sfRaw,
        DBT_SCHEMA: sfGold,
        SNOWFLAKE_SECRET_ID: secretId,
        SNOWFLAKE_STAGE: stage,
      };
}

async function withEnv<T>(env: Record<string, string>, act: () => Promise<T>): Promise<T> {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    return await act();
  } finally {
    process.env = saved;
  }
}

/** S3 notifications of `objects` as the AWS target delivers them to load-raw on Snowflake: through SQS. */
function sqsEvent(objects: readonly ObjectRef[]): SQSEvent {
  return sqsEventOf(objects.map((object) => JSON.stringify(objectCreatedEvent([object]))));
}

/** load-raw's handler on both targets: PostgreSQL per S3 event, Snowflake per SQS batch. */
async function loadBoth(objects: readonly ObjectRef[]): Promise<void> {
  await withEnv(warehouseEnv("postgres"), () => loadRaw(objectCreatedEvent(objects)));
  const response = await withEnv(warehouseEnv("snowflake"), () => loadRaw(sqsEvent(objects)));
  expect(response).toEqual({ batchItemFailures: [] });
}

/** Each warehouse's load manifest: key, rows in the object, rows inserted. */
async function manifests(): Promise<Record<"postgres" | "snowflake", string[]>> {
  const { rows } = await targetPool.query(
    `select object_key, rows_in_object, rows_inserted from "${pgRaw}"._load_manifest`,
  );
  const execute = await snowflakeExecutor(secretId, sfRaw);
  const sf = await execute(
    `select "OBJECT_KEY", "ROWS_IN_OBJECT", "ROWS_INSERTED" from ${sfRaw}._load_manifest`,
  );
  return {
    postgres: rows.map((r) => `${r.object_key} ${r.rows_in_object} ${r.rows_inserted}`).sort(),
    snowflake: sf.map((r) => `${r.OBJECT_KEY} ${r.ROWS_IN_OBJECT} ${r.ROWS_INSERTED}`).sort(),
  };
}

/** dbt on one warehouse: `build` (models, yml tests, unit tests) or `run` (models only). */
async function dbt(warehouse: "postgres" | "snowflake", command: "build" | "run"): Promise<string> {
  const env = {
    ...dbtEnv[warehouse],
    DBT_TARGET_PATH: join(work, warehouse, "target"),
    DBT_LOG_PATH: join(work, warehouse, "logs"),
  };
  const result = await runDbt([command, "--target", warehouse === "postgres" ? "local" : "prod"], { env });
  expect(result.exitCode, result.output).toBe(0);
  return result.output;
}

/** The dashboard API's answer with the given warehouse behind it. */
async function api(
  warehouse: "postgres" | "snowflake",
  path: string,
  query: Record<string, string> = {},
): Promise<unknown> {
  const response = await withEnv(warehouseEnv(warehouse), () =>
    handleRequest({ method: "GET", path, query }),
  );
  expect(response.status, response.body).toBe(200);
  return roundMoney(JSON.parse(response.body));
}

/** fakesnow's DuckDB sums number(38, 6) through doubles (Snowflake is exact): compare to the cent. */
function roundMoney(value: unknown): unknown {
  if (typeof value === "number") return Math.round(value * 100) / 100;
  if (Array.isArray(value)) return value.map(roundMoney);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, roundMoney(v)]));
  }
  return value;
}

let firstObjects: ObjectRef[] = [];

beforeAll(async () => {
  await s3().send(new CreateBucketCommand({ Bucket: bucket }));
  await secretsManager().send(
    new CreateSecretCommand({ Name: secretId, SecretString: JSON.stringify(secret) }),
  );
  // The setup docs/DEPLOY.md has an administrator run once (the stage there has a storage integration).
  const execute = await snowflakeExecutor(secretId, sfRaw);
  for (const sql of offlineSnowflakeSetupSql({ rawSchema: sfRaw, stage, bucket })) await execute(sql);
  firstObjects = await batch(true);
});

afterAll(async () => {
  const execute = await snowflakeExecutor(secretId, sfRaw);
  await execute(`drop schema if exists ${sfRaw} cascade`).catch(() => undefined);
  await execute(`drop schema if exists ${sfGold} cascade`).catch(() => undefined);
  await targetPool.query(
    `drop schema if exists "${pgRaw}" cascade; drop schema if exists "${pgGold}" cascade`,
  );
  await secretsManager().send(
    new DeleteSecretCommand({ SecretId: secretId, ForceDeleteWithoutRecovery: true }),
  );
  rmSync(work, { recursive: true, force: true });
});

describe("the Snowflake target offline (fakesnow), beside PostgreSQL", () => {
  test("load-raw COPYs every landed object once on both; redelivered objects are skipped", async () => {
    // Act
    await loadBoth(firstObjects);
    const loaded = await manifests();
    await loadBoth(firstObjects.slice(0, 2));

    // Assess: the same manifest on both, unchanged by the redelivery, and the same rows.
    expect(loaded.snowflake).toHaveLength(firstObjects.length);
    expect(loaded.snowflake).toEqual(loaded.postgres);
    expect(await manifests()).toEqual(loaded);
    const sql = `select "TOPIC", "PARTITION", "OFFSET", "RECORD_KEY", "PAYLOAD", "KAFKA_TS", "SOURCE_OBJECT"
      from ${"{schema}"}.elections_votes order by "PARTITION", "OFFSET"`;
    const execute = await snowflakeExecutor(secretId, sfRaw);
    const fromSnowflake = (await execute(sql.replace("{schema}", sfRaw))).map((r) => ({
      ...r,
      KAFKA_TS: new Date(r.KAFKA_TS as Date).toISOString(),
    }));
    const { rows } = await targetPool.query(sql.toLowerCase().replace("{schema}", `"${pgRaw}"`));
    const fromPostgres = rows.map((r) => ({
      ...Object.fromEntries(Object.entries(r).map(([k, v]) => [k.toUpperCase(), v])),
      OFFSET: Number(r.offset), // bigint: a string from pg
      KAFKA_TS: (r.kafka_ts as Date).toISOString(),
    }));
    expect(fromSnowflake).toHaveLength(6);
    expect(fromSnowflake).toEqual(fromPostgres);
  });

  // PostgreSQL's tests run in dbt-build.test.ts: here it only builds the figures to compare.
  test("dbt build passes on Snowflake (models, yml tests, unit tests), again incrementally after a second load", async () => {
    // Act
    await dbt("postgres", "run");
    const built = await dbt("snowflake", "build");
    await loadBoth(await batch(false));
    await dbt("postgres", "run");
    const incremental = await dbt("snowflake", "build");

    // Assess: every node passed, unit tests included; the facts took the second load in place.
    expect(built).toMatch(/Completed successfully/);
    expect(built).toMatch(/\d+ unit tests/);
    expect(incremental).toMatch(/OK created sql incremental model [^\n]*fct_order_lines/);
    const compiled = readFileSync(
      join(work, "snowflake/target/compiled/pipeline/models/staging/sales/stg_sales__order_lines.sql"),
      "utf8",
    );
    expect(compiled).toContain('"OFFSET" as kafka_offset');
    // The second run merged through dbt's temporary table (delete+insert), not a rebuild.
    const merged = readFileSync(
      join(work, "snowflake/target/run/pipeline/models/marts/sales/fct_order_lines.sql"),
      "utf8",
    );
    expect(merged).toMatch(/delete from[\s\S]*fct_order_lines__dbt_tmp/i);
    const execute = await snowflakeExecutor(secretId, sfRaw);
    const [facts] = await execute(`select count(*) as n from ${sfGold}.fct_order_lines`);
    expect(Number(facts?.N)).toBe(orderLines.length);
  }, 400_000);

  test("the dashboard API answers the same gold figures from Snowflake as from PostgreSQL", async () => {
    for (const path of ["/api/elections", "/api/sales", "/api/stocks", "/api/stocks/prices"]) {
      // Act
      const query: Record<string, string> = path.endsWith("prices")
        ? { symbol: "ACME", series: "generated" }
        : {};
      const [fromPostgres, fromSnowflake] = [
        await api("postgres", path, query),
        await api("snowflake", path, query),
      ];
      // Assess
      expect(fromSnowflake, path).toEqual(fromPostgres);
    }
    const elections = (await api("snowflake", "/api/elections")) as {
      built: boolean;
      byCandidate: { candidateId: string; votes: number }[];
    };
    expect(elections.built).toBe(true);
    // Voter 1's second vote does not count; voters 6 and 7 voted in the second load.
    expect(elections.byCandidate.map((c) => [c.candidateId, c.votes]).sort()).toEqual([
      ["cand-001", 3],
      ["cand-002", 2],
      ["cand-003", 2],
    ]);
  });
});
