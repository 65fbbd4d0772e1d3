/**
 * dbt on the real PostgreSQL: records landed as gzip NDJSON objects and loaded by the real raw
 * loader (core/warehouse), then `dbt build`
 * (models + yml tests + unit tests), hand-checked figures, and an incremental second run.
 * Each run uses its own raw schema (DBT_RAW_SCHEMA) and target schema (DBT_SCHEMA).
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { loadConfig } from "../../core/config/index.ts";
import { runDbt } from "../../core/dbt/run.ts";
import {
  CANDIDATES,
  loadRaw,
  PartitionedLog,
  price,
  type RawRecord,
  superstoreCsvRows,
  superstoreOrderLines,
  toTenThousandths,
  vote,
  voter,
} from "./dbt-fixtures.ts";

const id = randomBytes(4).toString("hex");
const rawSchema = `dbt_raw_${id}`;
const targetSchema = `dbt_it_${id}`;
const artifacts = mkdtempSync(join(tmpdir(), "dbt-it-"));
const dbtEnv = {
  ...process.env,
  DBT_SCHEMA: targetSchema,
  DBT_RAW_SCHEMA: rawSchema,
  DBT_TARGET_PATH: join(artifacts, "target"),
  DBT_LOG_PATH: join(artifacts, "logs"),
};
const client = new pg.Pool({ connectionString: loadConfig().postgres.url, max: 2 });

// Kafka positions per topic, kept across the two loads as a real log would.
const logs = {
  candidates: new PartitionedLog(1),
  voters: new PartitionedLog(3),
  votes: new PartitionedLog(3),
  sales: new PartitionedLog(3),
  stocks: new PartitionedLog(2),
};
const csvRows = superstoreCsvRows();
const orderLines = superstoreOrderLines(csvRows);
const FIRST_LOAD_LINES = 9000;
const DAY = 86_400_000;
const firstDay = Date.UTC(2026, 0, 5);
const UNREGISTERED_CANDIDATE = "cand-999";
const lateVoter = voter(1, "late");
const lateVote = vote(1, "late", 0, new Date(firstDay));
const unregisteredVoterVote = logs.votes.append(lateVote.voter_id, lateVote);

async function dbtBuild(): Promise<void> {
  const result = await runDbt(["build", "--target", "local"], { env: dbtEnv });
  expect(result.exitCode, result.output).toBe(0);
}

async function count(relation: string, expression = "*"): Promise<number> {
  const { rows } = await client.query(
    `select count(${expression})::int as n from "${targetSchema}".${relation}`,
  );
  return rows[0].n;
}

/** Ticks at 10:00, 12:00 and 15:00 UTC of `days` consecutive days from `fromDay`. */
function ticks(symbol: string, fromDay: number, days: number, base: number): RawRecord[] {
  return Array.from({ length: days }, (_, d) => d).flatMap((d) =>
    [10, 12, 15].map((hour, i) => {
      const ts = new Date(firstDay + (fromDay + d) * DAY + hour * 3_600_000);
      return logs.stocks.append(
        `${symbol}|${ts.toISOString()}`,
        price(symbol, ts, base + fromDay + d + i * 0.25, 100),
      );
    }),
  );
}

function voters(from: number, to: number, prefix: string): RawRecord[] {
  return Array.from({ length: to - from }, (_, i) => voter(from + i, prefix)).map((v) =>
    logs.voters.append(v.login.uuid, v),
  );
}

/** Voter n votes for candidate n % 5 === 0 ? 2 : n % 2, at a time that goes backwards for repeats. */
function votes(from: number, to: number, prefix: string, shift = 0): RawRecord[] {
  return Array.from({ length: to - from }, (_, i) => from + i).map((n) => {
    const v = vote(
      n,
      prefix,
      (n % 5 === 0 ? 2 : n % 2) + shift,
      new Date(firstDay + (1000 - n - shift) * 60_000),
    );
    return logs.votes.append(v.voter_id, v);
  });
}

beforeAll(async () => {
  await loadRaw(
    client,
    rawSchema,
    "elections_candidates",
    CANDIDATES.map((c) => logs.candidates.append(c.candidate_id, c)),
  );
  await loadRaw(client, rawSchema, "elections_voters", voters(1, 61, "a"));
  // 45 of the 60 voters vote; voters 1-5 then vote again for someone else (ignored: first vote counts).
  // Set apart: voters 46 and 47 vote for an unregistered candidate, and voter 1 of prefix "late"
  // (not registered yet) votes.
  await loadRaw(client, rawSchema, "elections_votes", [
    ...votes(1, 46, "a"),
    ...votes(1, 6, "a", 1),
    ...[46, 47].map((n) => {
      const ballot = { ...vote(n, "a", 0, new Date(firstDay)), candidate_id: UNREGISTERED_CANDIDATE };
      return logs.votes.append(ballot.voter_id, ballot);
    }),
    unregisteredVoterVote,
  ]);
  await loadRaw(
    client,
    rawSchema,
    "sales_orders",
    orderLines.slice(0, FIRST_LOAD_LINES).map((line) => logs.sales.append(String(line["Row ID"]), line)),
  );
  await loadRaw(client, rawSchema, "stocks_prices", [
    ...ticks("AAA", 0, 35, 100),
    ...ticks("BBB", 0, 35, 50),
  ]);
});

afterAll(async () => {
  await client.query(`drop schema if exists "${targetSchema}" cascade`);
  await client.query(`drop schema if exists "${rawSchema}" cascade`);
  await client.end();
  rmSync(artifacts, { recursive: true, force: true });
});

let firstBuildResults = "";

describe("dbt build --target local", () => {
  test("builds every model and passes every data and unit test", async () => {
    // Act
    const result = await runDbt(["build", "--target", "local"], { env: dbtEnv });
    firstBuildResults = readFileSync(join(artifacts, "target", "run_results.json"), "utf8");

    // Assess: the one warning is the rejected votes' count (below).
    expect(result.exitCode, result.output).toBe(0);
    expect(result.output).toMatch(/Completed with 1 warning/);
    expect(result.output).toMatch(/\bERROR=0\b/);
  });

  test("generates the documentation catalog of every model", async () => {
    // Act
    const result = await runDbt(["docs", "generate", "--target", "local"], { env: dbtEnv });

    // Assess
    expect(result.exitCode, result.output).toBe(0);
    const catalog = JSON.parse(readFileSync(join(artifacts, "target", "catalog.json"), "utf8"));
    expect(Object.keys(catalog.nodes)).toEqual(
      expect.arrayContaining(["model.pipeline.fct_votes", "model.pipeline.sales_by_region_category_month"]),
    );
  });

  test("finds every source fresh right after a load", async () => {
    // Act
    const result = await runDbt(["source", "freshness", "--target", "local"], { env: dbtEnv });

    // Assess
    expect(result.exitCode, result.output).toBe(0);
    expect(result.output.match(/ PASS freshness of /g)).toHaveLength(5);
  });

  test("election results by candidate equal the first votes counted from the raw table", async () => {
    // Prepare: first vote per voter by (topic, partition, offset), counted in JS from raw rows,
    // leaving out those for an unregistered candidate or by an unregistered voter.
    const { rows: raw } = await client.query(
      `select payload from "${rawSchema}".elections_votes order by topic, partition, "offset"`,
    );
    const { rows: registered } = await client.query(
      `select payload->'login'->>'uuid' as voter_id from "${rawSchema}".elections_voters`,
    );
    const voterIds = new Set(registered.map((r) => r.voter_id));
    const firstVote = new Map<string, string>();
    for (const { payload } of raw)
      if (!firstVote.has(payload.voter_id)) firstVote.set(payload.voter_id, payload.candidate_id);
    const expected: Record<string, number> = Object.fromEntries(CANDIDATES.map((c) => [c.candidate_id, 0]));
    for (const [voterId, candidate] of firstVote)
      if (candidate in expected && voterIds.has(voterId))
        expected[candidate] = (expected[candidate] ?? 0) + 1;

    // Act
    const { rows } = await client.query(
      `select candidate_id, votes::int as votes from "${targetSchema}".election_results_by_candidate`,
    );

    // Assess
    expect(Object.fromEntries(rows.map((r) => [r.candidate_id, r.votes]))).toEqual(expected);
    expect(raw.length).toBe(53);
    expect(firstVote.size).toBe(48);
    expect(Object.values(expected).reduce((a, b) => a + b)).toBe(45);
  });

  test("votes with a missing reference are set apart with their reason, and the gate is told", async () => {
    // Act
    const { rows } = await client.query(
      `select voter_id, candidate_id, reason from "${targetSchema}".election_rejected_votes order by voter_id`,
    );
    const results = JSON.parse(firstBuildResults);
    const threshold = results.results.find((r: { unique_id: string }) =>
      r.unique_id.includes("rejected_votes_within_threshold"),
    );

    // Assess: in no total, and the quality test warns with the count (it fails only above max_rejected_votes).
    expect(rows).toEqual(
      [
        {
          voter_id: vote(46, "a", 0, new Date()).voter_id,
          candidate_id: UNREGISTERED_CANDIDATE,
          reason: "unknown candidate",
        },
        {
          voter_id: vote(47, "a", 0, new Date()).voter_id,
          candidate_id: UNREGISTERED_CANDIDATE,
          reason: "unknown candidate",
        },
        { voter_id: lateVote.voter_id, candidate_id: lateVote.candidate_id, reason: "unknown voter" },
      ].sort((a, b) => (a.voter_id < b.voter_id ? -1 : 1)),
    );
    expect(threshold).toMatchObject({ status: "warn", failures: 3 });
    const { rows: fct } = await client.query(
      `select count(*)::int as n from "${targetSchema}".fct_votes where candidate_id = $1 or voter_id = $2`,
      [UNREGISTERED_CANDIDATE, lateVoter.login.uuid],
    );
    expect(fct[0].n).toBe(0);
  });

  test("turnout is voters who voted over registered voters", async () => {
    // Act
    const { rows } = await client.query(
      `select sum(registered_voters)::int as registered, sum(voters_who_voted)::int as voted,
              min(turnout)::float as min_turnout, max(turnout)::float as max_turnout
       from "${targetSchema}".turnout_by_gender`,
    );

    // Assess
    expect(rows[0]).toMatchObject({ registered: 60, voted: 45 });
    expect(rows[0].min_turnout).toBeGreaterThan(0);
    expect(rows[0].max_turnout).toBeLessThanOrEqual(1);
  });

  test("daily OHLC takes the first, highest, lowest and last price of the day", async () => {
    // Act: day 3 of AAA had ticks 103, 103.25, 103.5.
    const { rows } = await client.query(
      `select open_price::float as open, high_price::float as high, low_price::float as low,
              close_price::float as close, price_count::int as n
       from "${targetSchema}".fct_stock_daily_prices where symbol = 'AAA' and trading_date = $1`,
      [new Date(firstDay + 3 * DAY).toISOString().slice(0, 10)],
    );

    // Assess
    expect(rows).toEqual([{ open: 103, high: 103.5, low: 103, close: 103.5, n: 3 }]);
  });

  test("an incremental run after new data adds only the new rows, without duplicates", async () => {
    // Prepare: the rest of Superstore plus 100 lines produced again (new offsets, same Row IDs);
    // 10 new voters of whom 8 vote, a repeat vote of voter 7; a new AAA day and a late tick on day 3.
    const before = {
      lines: await count("fct_order_lines"),
      votes: await count("fct_votes"),
      days: await count("fct_stock_daily_prices"),
    };
    await loadRaw(client, rawSchema, "sales_orders", [
      ...orderLines.slice(FIRST_LOAD_LINES).map((line) => logs.sales.append(String(line["Row ID"]), line)),
      ...orderLines.slice(0, 100).map((line) => logs.sales.append(String(line["Row ID"]), line)),
    ]);
    // The unregistered voter's record arrives: their earlier vote now counts.
    await loadRaw(client, rawSchema, "elections_voters", [
      ...voters(61, 71, "a"),
      logs.voters.append(lateVoter.login.uuid, lateVoter),
    ]);
    await loadRaw(client, rawSchema, "elections_votes", [...votes(61, 69, "a"), ...votes(7, 8, "a", 1)]);
    const lateTick = new Date(firstDay + 3 * DAY + 20 * 3_600_000);
    await loadRaw(client, rawSchema, "stocks_prices", [
      ...ticks("AAA", 35, 1, 100),
      logs.stocks.append(`AAA|${lateTick.toISOString()}`, price("AAA", lateTick, 90, 100)),
    ]);

    // Act
    await dbtBuild();

    // Assess
    const after = {
      lines: await count("fct_order_lines"),
      votes: await count("fct_votes"),
      days: await count("fct_stock_daily_prices"),
    };
    expect(before).toEqual({ lines: FIRST_LOAD_LINES, votes: 45, days: 70 });
    expect(after).toEqual({ lines: orderLines.length, votes: 54, days: 71 });
    expect(await count("election_rejected_votes")).toBe(2);
    expect(await count("fct_order_lines", "distinct row_id")).toBe(after.lines);
    expect(await count("fct_votes", "distinct voter_id")).toBe(after.votes);
    const { rows: day3 } = await client.query(
      `select close_price::float as close, low_price::float as low, price_count::int as n
       from "${targetSchema}".fct_stock_daily_prices where symbol = 'AAA' and trading_date = $1`,
      [new Date(firstDay + 3 * DAY).toISOString().slice(0, 10)],
    );
    expect(day3).toEqual([{ close: 90, low: 90, n: 4 }]);
  });

  test("Superstore gold totals equal the CSV's totals to the cent", async () => {
    // Prepare: exact sums of the file's cells, in 1/10000 units.
    const sum = (column: string) =>
      csvRows.reduce((total, row) => total + toTenThousandths(row[column] ?? ""), 0n);
    const expected = { sales: sum("Sales"), profit: sum("Profit"), quantity: sum("Quantity") / 10000n };

    // Act
    const { rows } = await client.query(
      `select sum(revenue)::text as sales, sum(profit)::text as profit, sum(quantity)::text as quantity
       from "${targetSchema}".sales_by_region_category_month`,
    );

    // Assess
    expect(expected).toEqual({ sales: 22972008603n, profit: 2863970217n, quantity: 37873n });
    expect({
      sales: toTenThousandths(rows[0].sales),
      profit: toTenThousandths(rows[0].profit),
      quantity: BigInt(rows[0].quantity),
    }).toEqual(expected);
  });

  test("a later correction of an order line wins (last wins), and the totals follow", async () => {
    // Prepare: Row ID 1 uploaded again with new Sales.
    const original = orderLines[0] as Record<string, unknown>;
    const before = await client.query(
      `select sum(sales)::text as sales from "${targetSchema}".fct_order_lines`,
    );
    await loadRaw(client, rawSchema, "sales_orders", [
      logs.sales.append(String(original["Row ID"]), { ...original, Sales: 1000.5 }),
    ]);

    // Act
    await dbtBuild();

    // Assess
    const { rows } = await client.query(
      `select sales::float as sales from "${targetSchema}".fct_order_lines where row_id = $1`,
      [original["Row ID"]],
    );
    const after = await client.query(
      `select sum(sales)::text as sales from "${targetSchema}".fct_order_lines`,
    );
    expect(rows).toEqual([{ sales: 1000.5 }]);
    expect(toTenThousandths(after.rows[0].sales) - toTenThousandths(before.rows[0].sales)).toBe(
      10_005_000n - toTenThousandths(String(original.Sales)),
    );
    expect(await count("fct_order_lines")).toBe(orderLines.length);
  });
});
