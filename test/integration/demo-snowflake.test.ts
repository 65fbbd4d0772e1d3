/**
 * `pipeline demo --warehouse snowflake`, end to end on fresh services with the offline
 * Snowflake (fakesnow): the local target synthesized with warehouse snowflake (load-raw behind
 * S3 → SQS, dbt's prod target), the secret filled with a generated key pair that load-raw and
 * the dbt task (its container Secrets, read as its execution role) take from Secrets Manager,
 * and the same records per stage and gold figures as the PostgreSQL demo for the same seed
 * (demo-end-to-end.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../core/config/index.ts";
import { summarizeStates } from "../../core/runs/summarize-states.ts";
import { warehouseReader } from "../../core/warehouse/reader.ts";
import { type DemoResult, runDemo } from "../../demo/run-demo.ts";
import { DEMO_GOLD, DEMO_SAMPLE } from "./demo-expected.ts";
import { type SeparateServices, useSeparateServices } from "./separate-services.ts";

describe("pipeline demo --warehouse snowflake, end to end on fresh services", () => {
  let services: SeparateServices;
  let result: DemoResult;
  const log: string[] = [];

  beforeAll(async () => {
    // Prepare: a separate set of services (the demo starts them, the offline Snowflake too).
    services = await useSeparateServices(false);

    // Act
    result = await runDemo({ ...DEMO_SAMPLE, warehouse: "snowflake", log: (line) => log.push(line) });
  }, 900_000);

  afterAll(async () => {
    await services?.release();
  });

  it("accounts for every record, read from Snowflake's raw tables", () => {
    const { topics } = result.report;
    expect(topics).toHaveLength(5);
    for (const t of topics) {
      expect(t.kafka.records, t.topic).toBeGreaterThan(0);
      expect(t.landed.records + t.quarantined.records, t.topic).toBe(t.kafka.records);
      expect(t.raw.rows, t.topic).toBe(t.landed.records);
      expect(t.issues, t.topic).toEqual([]);
    }
    expect(result.report.reconciled, log.join("\n")).toBe(true);
  });

  it("ran the pipeline to SUCCEEDED with dbt on Snowflake, its key pair from the container's Secrets", () => {
    expect(result.execution.status, `${result.execution.error}: ${result.execution.cause}`).toBe("SUCCEEDED");
    expect(summarizeStates(result.execution).map((s) => s.name)).toEqual(
      expect.arrayContaining(["Load pending files", "Run dbt", "Quality gate", "Publish summary"]),
    );
    const dbtState = result.execution.events.find((e) => e.type === "StateExited" && e.state === "Run dbt");
    expect(JSON.stringify(dbtState?.output)).toContain('"ExitCode":0');
  });

  it("leaves the same gold figures as the PostgreSQL demo for the same seed", async () => {
    // The demo put its environment back: read the stack's warehouse as it did.
    const reader = warehouseReader(
      { ...loadConfig(), warehouse: "snowflake" },
      { env: { SNOWFLAKE_SECRET_ID: "pipeline-local-warehouse" } },
    );
    const [votes] =
      (await reader.query(
        `select count(distinct "PAYLOAD":voter_id::string) as n from ${reader.relation("raw", "elections_votes")}`,
      )) ?? [];
    const [gold] =
      (await reader.query(
        `select sum(votes) as n from ${reader.relation("analytics", "election_results_by_candidate")}`,
      )) ?? [];
    const [revenue] =
      (await reader.query(
        `select cast(sum(revenue) as numeric(18, 2)) as total from ${reader.relation("analytics", "sales_by_region_category_month")}`,
      )) ?? [];

    expect(Number(votes?.n)).toBe(DEMO_GOLD.votersWhoVoted);
    expect(Number(gold?.n)).toBe(DEMO_GOLD.votersWhoVoted);
    expect(Number(revenue?.total)).toBe(Number(DEMO_GOLD.revenue));
    // The summary's gold sample came from Snowflake too.
    const sampleVotes = result.gold.resultsByCandidate.reduce((sum, row) => sum + Number(row.votes), 0);
    expect(sampleVotes).toBe(DEMO_GOLD.votersWhoVoted);
    expect(result.gold.revenueByRegion.length).toBeGreaterThan(0);
    expect(result.gold.latestCloses.length).toBeGreaterThan(0);
  });
});
