/**
 * The dashboard API against a real PostgreSQL: client input is never part of SQL text.
 * Every statement pg sends is recorded (the real method still runs) while every GET route is
 * called with hostile query parameters; the hostile values may travel only as bind
 * parameters, every select runs inside a READ ONLY transaction, and the tables are intact.
 */
import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { loadConfig } from "../../core/config/index.ts";
import { assertIdentifier, pgQualified } from "../../core/warehouse/identifiers.ts";
import { postgresPool } from "../../core/warehouse/postgres/pool.ts";
import { handleRequest } from "../../dashboard/api/router.ts";
import { queryGold } from "../../dashboard/api/warehouse.ts";

const schema = `sec_api_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
const pool = () => postgresPool(loadConfig().postgres.url);
const saved = { ...process.env };

/** Strings a client could send, hoping one ends up in SQL. */
const HOSTILE = [
  "A--",
  "A.B-C",
  "'; drop table canary; --",
  `x" or 1=1; --`,
  "$$ or true $$",
  "select * from pg_user",
  "raw.elections_votes",
];

const ROUTES = [
  "/api/elections",
  "/api/sales",
  "/api/stocks",
  "/api/stocks/prices",
  "/api/live",
  "/api/runs",
];

beforeAll(async () => {
  // Prepare: a gold schema of our own with one table the API reads, and a canary
  Object.assign(process.env, { DBT_SCHEMA: schema, STAGE_COUNTS: "off", RUNS_SOURCE: "local" });
  await pool().query(`create schema "${assertIdentifier(schema)}"`);
  await pool().query(
    `create table ${pgQualified(schema, "stock_moving_averages")} (symbol text, series text, trading_date date,
       close_price numeric, moving_average_short numeric, moving_average_long numeric)`,
  );
  await pool().query(
    `insert into ${pgQualified(schema, "stock_moving_averages")} values ('A--', 'real', '2020-01-02', 1, 1, 1), ('MSFT', 'real', '2020-01-02', 2, 2, 2)`,
  );
  await pool().query(`create table ${pgQualified(schema, "canary")} (n integer)`);
});

afterAll(async () => {
  await pool().query(`drop schema if exists "${schema}" cascade`);
  process.env = saved;
});

/** Runs `act` while recording every statement any pg client sends: [text, values]. */
async function recordingSql(act: () => Promise<unknown>): Promise<{ text: string; values: unknown[] }[]> {
  const sent: { text: string; values: unknown[] }[] = [];
  const original = pg.Client.prototype.query;
  const spy = vi.spyOn(pg.Client.prototype, "query").mockImplementation(function (
    this: pg.Client,
    ...args: unknown[]
  ) {
    const [config, values] = args as [string | { text: string; values?: unknown[] }, unknown[] | undefined];
    if (typeof config === "string") sent.push({ text: config, values: values ?? [] });
    else sent.push({ text: config.text, values: config.values ?? values ?? [] });
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof original);
  try {
    await act();
  } finally {
    spy.mockRestore();
  }
  return sent;
}

describe("the dashboard API's SQL", () => {
  it("sends client input only as bind parameters, inside read-only transactions", async () => {
    // Act: every GET route, with every hostile value in every query parameter name we know of
    const statuses: number[] = [];
    const sent = await recordingSql(async () => {
      for (const route of ROUTES)
        for (const value of HOSTILE) {
          const query = { symbol: value, id: value, q: value, table: value, schema: value };
          statuses.push((await handleRequest({ method: "GET", path: route, query })).status);
        }
      const run = await handleRequest({
        method: "GET",
        path: `/api/runs/${encodeURIComponent(HOSTILE[2] ?? "")}`,
        query: {},
      });
      statuses.push(run.status);
    });

    // Assess
    expect(statuses).not.toContain(500);
    const selects = sent.filter((s) => /^\s*select\b/i.test(s.text));
    expect(selects.length).toBeGreaterThan(ROUTES.length);
    for (const { text } of sent) for (const value of HOSTILE) expect(text).not.toContain(value);
    for (const { text } of sent)
      expect(text.trim()).toMatch(/^(select\b[\s\S]*|begin transaction read only|commit|rollback)$/i);
    const begins = sent.filter((s) => s.text === "begin transaction read only").length;
    expect(begins).toBe(selects.length);
    // The valid-looking symbol went to PostgreSQL, as a parameter, and found its row.
    expect(sent.some((s) => s.values.includes("A--"))).toBe(true);
    const prices = await handleRequest({
      method: "GET",
      path: "/api/stocks/prices",
      query: { symbol: "A--" },
    });
    expect(JSON.parse(prices.body).prices).toHaveLength(1);
    expect(
      (await pool().query(`select count(*)::int as n from ${pgQualified(schema, "canary")}`)).rows[0].n,
    ).toBe(0);
  });

  it("cannot write even if a statement tried to: the transaction is read only", async () => {
    // Act
    const attempt = queryGold((t) => `insert into ${t("stock_moving_averages")} (symbol) values ($1)`, ["X"]);

    // Assess
    await expect(attempt).rejects.toMatchObject({ name: "SourceUnavailableError" });
    await expect(attempt).rejects.toSatisfy((e: Error) =>
      /read-only transaction/.test(String((e.cause as Error)?.message)),
    );
    const rows = await pool().query(
      `select count(*)::int as n from ${pgQualified(schema, "stock_moving_averages")}`,
    );
    expect(rows.rows[0].n).toBe(2);
  });
});
