/**
 * The Snowflake target offline, end to end, beside the PostgreSQL target over the same input:
 * landed gzip NDJSON objects in the emulator's raw bucket are loaded by the real loader
 * (`loadObjects`: COPY INTO from the external stage + manifest MERGE through snowflake-sdk,
 * key-pair auth from the emulator's Secrets Manager), a redelivered object is skipped on both,
 * `dbt build` (models, yml tests, unit tests) runs twice on both — the second time
 * incrementally over a second load — and the dashboard API answers the same gold figures from
 * either warehouse. Snowflake is the `snowflake` service (fakesnow behind
 * localstack/services/snowflake/serve.py); what it cannot show: docs/ARCHITECTURE.md.
 */
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { CreateSecretCommand, DeleteSecretCommand } from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { s3, secretsManager } from "../../core/aws/clients.ts";
import { loadConfig } from "../../core/config/index.ts";
import { runDbt } from "../../core/dbt/run.ts";
import type { ObjectRef } from "../../core/lake/index.ts";
import { batchObjectKey, encodeNdjsonGz } from "../../core/lake/index.ts";
import { type ObjectLoad, postgresPool, type WarehouseTarget } from "../../core/warehouse/index.ts";
import { snowflakeExecutor } from "../../core/warehouse/snowflake/connection.ts";
import { snowflakeRawDdl } from "../../core/warehouse/snowflake/sql.ts";
import { loadObjects } from "../../core/warehouse/target.ts";
import { handleRequest } from "../../dashboard/api/router.ts";
import { servicesSettings } from "../../localstack/services/settings.ts";
import { SNOWFLAKE_EMULATOR_ACCOUNT } from "../../localstack/services/snowflake/snowflake.ts";
import {
  CANDIDATES,
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
const { privateKey } = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
});
// The service user's secret, as docs/DEPLOY.md has it filled, pointed at the offline service.
const secret = {
  account: SNOWFLAKE_EMULATOR_ACCOUNT,
  username: "PIPELINE",
  privateKey,
  warehouse: "TRANSFORMING",
  database: "PIPELINE",
  role: "TRANSFORMER",
  host: "127.0.0.1",
  port: sfPort,
  protocol: "http",
};
const targets: Record<"postgres" | "snowflake", WarehouseTarget> = {
  postgres: { kind: "postgres", pool: postgresPool(loadConfig().postgres.url), schema: pgRaw },
  snowflake: { kind: "snowflake", secretId, stage, schema: sfRaw },
};
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
  const [dataset = "", entity = ""] = table.split("_");
  const objects: ObjectRef[] = [];
  for (const partition of new Set(records.map((r) => r.partition))) {
    const batch = records.filter((r) => r.partition === partition);
    const [first, last] = [batch[0], batch.at(-1)];
    if (!first || !last) continue;
    const key = batchObjectKey({
      area: "raw",
      dataset,
      entity,
      partition,
      firstOffset: first.offset,
      lastOffset: last.offset,
      firstTimestampMs: first.kafkaTs.getTime(),
    });
    const body = await encodeNdjsonGz(
      batch.map((r) => ({
        topic: `${dataset}.${entity}`,
        partition,
        offset: r.offset,
        timestamp: r.kafkaTs.getTime(),
        key: r.key,
        value: r.payload,
      })),
    );
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

async function loadBoth(objects: readonly ObjectRef[]): Promise<Record<string, ObjectLoad[]>> {
  return {
    postgres: await loadObjects(targets.postgres, objects),
    snowflake: await loadObjects(targets.snowflake, objects),
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
  const saved = { ...process.env };
  Object.assign(process.env, {
    WAREHOUSE_TARGET: warehouse,
    DBT_SCHEMA: warehouse === "postgres" ? pgGold : sfGold,
    SNOWFLAKE_SECRET_ID: secretId,
  });
  try {
    const response = await handleRequest({ method: "GET", path, query });
    expect(response.status, response.body).toBe(200);
    return roundMoney(JSON.parse(response.body));
  } finally {
    process.env = saved;
  }
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
  for (const sql of [
    "create database if not exists PIPELINE",
    ...snowflakeRawDdl(sfRaw),
    `create stage if not exists ${stage} url = 's3://${bucket}/'`,
  ]) {
    await execute(sql);
  }
  firstObjects = await batch(true);
});

afterAll(async () => {
  const execute = await snowflakeExecutor(secretId, sfRaw);
  await execute(`drop schema if exists ${sfRaw} cascade`).catch(() => undefined);
  await execute(`drop schema if exists ${sfGold} cascade`).catch(() => undefined);
  const pool = postgresPool(loadConfig().postgres.url);
  await pool.query(`drop schema if exists "${pgRaw}" cascade; drop schema if exists "${pgGold}" cascade`);
  await secretsManager().send(
    new DeleteSecretCommand({ SecretId: secretId, ForceDeleteWithoutRecovery: true }),
  );
  rmSync(work, { recursive: true, force: true });
});

describe("the Snowflake target offline (fakesnow), beside PostgreSQL", () => {
  test("load-raw's loader COPYs every landed object once on both; a redelivered object is skipped", async () => {
    // Act
    const first = await loadBoth(firstObjects);
    const again = await loadBoth(firstObjects.slice(0, 2));

    // Assess: the same rows in on both, and the manifest dedupes the redelivery.
    const rows = (loads: ObjectLoad[]) => loads.map((l) => [l.key, l.status, l.rowsInserted]).sort();
    expect(rows(first.snowflake ?? [])).toEqual(rows(first.postgres ?? []));
    expect(first.snowflake?.every((l) => l.status === "loaded" && l.rowsInserted > 0)).toBe(true);
    expect(again.snowflake?.map((l) => l.status)).toEqual(["skipped", "skipped"]);
    expect(again.postgres?.map((l) => l.status)).toEqual(["skipped", "skipped"]);
    const execute = await snowflakeExecutor(secretId, sfRaw);
    const [votes] = await execute(
      `select count(*) as n, count(distinct "SOURCE_OBJECT") as objects, min("KAFKA_TS") as ts
       from ${sfRaw}.elections_votes where "PAYLOAD":candidate_id::string like 'cand-%'`,
    );
    expect(Number(votes?.N)).toBe(6);
    expect(firstObjects.map((o) => o.key)).toContain(
      (await execute(`select "SOURCE_OBJECT" from ${sfRaw}.elections_votes limit 1`))[0]?.SOURCE_OBJECT,
    );
  });

  // PostgreSQL's tests run in dbt-build.test.ts: here it only builds the figures to compare.
  test("dbt build passes on Snowflake (models, yml tests, unit tests), then an incremental run", async () => {
    // Act
    await dbt("postgres", "run");
    const built = await dbt("snowflake", "build");
    await loadBoth(await batch(false));
    await dbt("postgres", "run");
    const incremental = await dbt("snowflake", "run");

    // Assess: every node passed, unit tests included; the facts took the second load in place.
    expect(built).toMatch(/Completed successfully/);
    expect(built).toMatch(/\d+ unit tests/);
    expect(incremental).toMatch(/OK created sql incremental model [^\n]*fct_order_lines/);
    const compiled = readFileSync(
      join(work, "snowflake/target/compiled/pipeline/models/staging/sales/stg_sales__order_lines.sql"),
      "utf8",
    );
    expect(compiled).toContain('"OFFSET" as kafka_offset');
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
