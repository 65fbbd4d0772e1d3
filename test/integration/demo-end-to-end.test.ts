import { HeadObjectCommand } from "@aws-sdk/client-s3";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { s3 } from "../../core/aws/clients.ts";
import { summarizeStates } from "../../core/runs/summarize-states.ts";
import { type DemoResult, runDemo } from "../../demo/run-demo.ts";
import { DEMO_GOLD, DEMO_SAMPLE } from "./demo-expected.ts";
import { type SeparateServices, useSeparateServices } from "./separate-services.ts";

describe("pipeline demo, end to end on fresh services", () => {
  let services: SeparateServices;
  let result: DemoResult;
  let databaseUrl = "";

  beforeAll(async () => {
    // Prepare: a second set of services (the demo starts them); everything here uses it.
    services = await useSeparateServices(false);
    databaseUrl = services.databaseUrl;

    // Act
    result = await runDemo({ ...DEMO_SAMPLE, log: () => undefined });
  }, 900_000);

  afterAll(async () => {
    await services?.release();
  });

  it("accounts for every record: in Kafka = landed + quarantined, landed = raw rows", () => {
    const { topics } = result.report;
    expect(topics.map((t) => t.topic).sort()).toEqual([
      "elections.candidates",
      "elections.voters",
      "elections.votes",
      "sales.orders",
      "stocks.prices",
    ]);
    for (const t of topics) {
      expect(t.kafka.records, t.topic).toBeGreaterThan(0);
      expect(t.landed.records + t.quarantined.records, t.topic).toBe(t.kafka.records);
      expect(t.raw.rows, t.topic).toBe(t.landed.records);
      expect(t.issues, t.topic).toEqual([]);
    }
    expect(result.report.reconciled).toBe(true);
    const sales = topics.find((t) => t.topic === "sales.orders");
    expect(sales?.kafka.records).toBe(9_994);
  });

  it("ran the pipeline to SUCCEEDED, with dbt run for real and its artifacts in the bucket", async () => {
    expect(result.execution.status).toBe("SUCCEEDED");
    const states = summarizeStates(result.execution);
    expect(states.map((s) => s.name)).toEqual(
      expect.arrayContaining(["Load pending files", "Run dbt", "Quality gate", "Publish summary"]),
    );
    const dbtState = result.execution.events.find((e) => e.type === "StateExited" && e.state === "Run dbt");
    expect(JSON.stringify(dbtState?.output)).toContain('"ExitCode":0');
    const runId = result.execution.name;
    const head = await s3().send(
      new HeadObjectCommand({ Bucket: "pipeline-artifacts", Key: `dbt/${runId}/run_results.json` }),
    );
    expect(head.ContentLength).toBeGreaterThan(0);
  });

  it("leaves gold tables whose figures match the raw data", async () => {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const votes = await client.query<{ n: string }>(
        "select count(distinct payload->>'voter_id')::bigint as n from raw.elections_votes",
      );
      const gold = await client.query<{ n: string }>(
        "select sum(votes)::bigint as n from analytics.election_results_by_candidate",
      );
      expect(Number(gold.rows[0]?.n)).toBe(Number(votes.rows[0]?.n));
      expect(Number(votes.rows[0]?.n)).toBe(DEMO_GOLD.votersWhoVoted);
      const revenue = await client.query<{ total: string }>(
        "select round(sum(revenue)::numeric, 2)::text as total from analytics.sales_by_region_category_month",
      );
      expect(revenue.rows[0]?.total).toBe(DEMO_GOLD.revenue);
    } finally {
      await client.end();
    }
    expect(result.gold.resultsByCandidate.length).toBeGreaterThan(0);
    expect(result.gold.latestCloses.length).toBeGreaterThan(0);
  });
});
