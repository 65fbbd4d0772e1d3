/**
 * The dashboard in a real browser (Debian's Chromium through playwright-core) against a
 * running local stack on its own services (separate-services.ts): sample data of every dataset
 * produced, landed, loaded and aggregated by the template's functions, one pipeline run
 * (dbt for real), and the local dashboard server running the template's dashboard-api.
 * Every page is loaded; the live page's candidate totals must equal the aggregates and the
 * produced votes; each page must show its data; a screenshot of each page is kept in
 * test-results/dashboard/<page>.png.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resetAwsClients } from "../../core/aws/clients.ts";
import { loadConfig } from "../../core/config/index.ts";
import { datasets } from "../../core/datasets/index.ts";
import { chooseSource, produceDataset } from "../../core/producer/produce-dataset.ts";
import { type LiveResults, readLiveResults } from "../../core/realtime/index.ts";
import type { Execution } from "../../core/runs/types.ts";
import type { SourceOptions } from "../../core/sources/types.ts";
import { type DashboardServer, startDashboardServer } from "../../dashboard/local-server/server.ts";
import { landingGroups, waitForLoaded } from "../../demo/wait-for-loaded.ts";
import { dashboardApiInvoker } from "../../localstack/runtime/dashboard-api.ts";
import { openRuntime } from "../../localstack/runtime/open.ts";
import type { LocalRuntime } from "../../localstack/runtime/runtime.ts";
import { waitForLive } from "./aggregate-helpers.ts";
import { type SeparateServices, useSeparateServices } from "./separate-services.ts";

const CHROMIUM = "/usr/bin/chromium";
const SCREENSHOTS = join(process.cwd(), "test-results", "dashboard");
/** Small samples: enough for every chart, quick to land, load and build. */
const SAMPLE: Record<string, SourceOptions> = {
  elections: { count: 150, seed: 21 },
  sales: { count: 400, seed: 21 },
  stocks: { seed: 21 },
};

describe("dashboard in headless Chromium against the local stack", () => {
  let services: SeparateServices;
  let runtime: LocalRuntime | undefined;
  let server: DashboardServer | undefined;
  let browser: BrowserContext | undefined;
  let profileDir: string;
  let page: Page;
  /** Valid votes produced per candidate id: all of them (live counts every vote) and one per voter (gold). */
  let produced: Record<string, number>;
  let producedPerVoter: Record<string, number>;
  let live: LiveResults;
  let run: Execution;

  beforeAll(async () => {
    // Prepare: own services, the local target deployed and running, sample data everywhere.
    services = await useSeparateServices();
    resetAwsClients();
    runtime = await openRuntime({ log: () => undefined });
    await runtime.deploy();
    await runtime.start();
    const config = loadConfig();
    for (const dataset of datasets) {
      const options = SAMPLE[dataset.name] ?? {};
      const source = chooseSource(dataset, undefined, options).open(options);
      await produceDataset(config, dataset, source);
    }
    ({ all: produced, perVoter: producedPerVoter } = await producedVotes(SAMPLE.elections ?? {}));
    const total = Object.values(produced).reduce((a, b) => a + b, 0);
    live = await waitForLive((l) => l.totalVotes === total);
    await waitForLoaded(landingGroups(runtime), 300_000, () => undefined);
    const started = runtime.startExecution(undefined, {});
    run = await started.done;
    server = await startDashboardServer({ invoke: dashboardApiInvoker(runtime), port: 0 });
    baseUrl = server.url;

    profileDir = mkdtempSync(join(tmpdir(), "dashboard-chromium-"));
    browser = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1400, height: 1000 },
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    page = browser.pages()[0] ?? (await browser.newPage());
    mkdirSync(SCREENSHOTS, { recursive: true });
  }, 900_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await runtime?.stop();
    await services?.release();
    if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  });

  it("ran the pipeline (dbt for real) before the pages were read", () => {
    expect(run.status).toBe("SUCCEEDED");
  });

  it("live page: each candidate's total equals the aggregate and the votes produced", async () => {
    // Act
    await open(page, "live");
    await page
      .locator('[data-testid^="candidate-total-"]')
      .nth(Object.keys(produced).length - 1)
      .waitFor();
    const shown = await figures(page, "candidate-total-");
    const aggregates = await readLiveResults();

    // Assess
    expect(shown).toEqual(produced);
    expect(shown).toEqual(Object.fromEntries(aggregates.candidates.map((c) => [c.candidateId, c.votes])));
    expect(await number(page, "total-votes")).toBe(live.totalVotes);
    expect(await number(page, "late-events")).toBe(aggregates.lateEvents);
    expect(await number(page, "future-events")).toBe(aggregates.futureEvents);
    expect(await number(page, "duplicate-votes")).toBe(aggregates.duplicateVotes);
    expect(await number(page, "rejected-votes")).toBe(aggregates.rejectedVotes);
    await expect(page.locator(".chart canvas").count()).resolves.toBeGreaterThanOrEqual(3);
    await screenshot(page, "live");
  });

  it("election results page: the gold layer's votes per candidate equal the votes produced (one per voter)", async () => {
    await open(page, "elections");
    await page.waitForSelector('[data-testid^="result-votes-"]');

    const results = await figures(page, "result-votes-");

    for (const [candidate, votes] of Object.entries(producedPerVoter)) expect(results[candidate]).toBe(votes);
    await screenshot(page, "elections");
  });

  it("sales page: revenue by region from the gold layer", async () => {
    await open(page, "sales");
    await page.waitForSelector('[data-testid^="sales-revenue-"]');

    const revenue = await figures(page, "sales-revenue-");

    expect(Object.keys(revenue).length).toBeGreaterThan(0);
    for (const value of Object.values(revenue)) expect(value).toBeGreaterThan(0);
    await screenshot(page, "sales");
  });

  it("stocks page: symbols to pick and a latest close with its moving averages drawn", async () => {
    await open(page, "stocks");
    await page.locator('[data-testid="stock-latest-close"]').filter({ hasText: /\d/ }).waitFor();
    const symbols = await page.locator('[data-testid="stock-symbol"] option').count();
    const latest = await number(page, "stock-latest-close");

    expect(symbols).toBeGreaterThan(0);
    expect(latest).toBeGreaterThan(0);
    await screenshot(page, "stocks");
  });

  it("pipeline page: the run with its states, and the records per stage", async () => {
    await open(page, "pipeline");
    await page.waitForSelector(`[data-testid="run-row-${run.name}"]`);
    await page.waitForSelector('[data-testid="stage-raw-elections.votes"]');

    const runRow = await page.locator(`[data-testid="run-row-${run.name}"] td`).allTextContents();
    const dbtState = await page.locator('[data-testid="state-row-Run_dbt"] td').allTextContents();
    const rawVotes = await number(page, "stage-raw-elections.votes");

    expect(runRow).toContain("SUCCEEDED");
    expect(dbtState.slice(0, 3)).toEqual(["Run dbt", "Task", "SUCCEEDED"]);
    expect(rawVotes).toBe(live.totalVotes);
    await screenshot(page, "pipeline");
  });

  it("answers only reads: a POST to the API through the server is refused with 405", async () => {
    const response = await fetch(new URL("api/live", baseUrl), { method: "POST", body: "{}" });

    expect(response.status).toBe(405);
  });
});

/** The dashboard server's URL, once it runs. */
let baseUrl = "";

async function open(page: Page, id: string): Promise<void> {
  await page.goto(new URL(`#/${id}`, baseUrl).href);
}

/** `data-testid` prefix → { suffix: the number shown }. */
async function figures(page: Page, prefix: string): Promise<Record<string, number>> {
  const cells = await page.locator(`[data-testid^="${prefix}"]`).all();
  const entries = await Promise.all(
    cells.map(async (cell) => [
      ((await cell.getAttribute("data-testid")) ?? "").slice(prefix.length),
      parse((await cell.textContent()) ?? ""),
    ]),
  );
  return Object.fromEntries(entries);
}

async function number(page: Page, testId: string): Promise<number> {
  return parse((await page.locator(`[data-testid="${testId}"]`).textContent()) ?? "");
}

/** Numbers as the page formats them (en-US: "1,234.5"). */
function parse(text: string): number {
  return Number(text.replace(/,/g, ""));
}

async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Valid votes per candidate the elections source produced (the same seed yields the same records). */
async function producedVotes(options: SourceOptions) {
  const elections = datasets.find((d) => d.name === "elections");
  const votes = elections?.topics.find((t) => t.entity === "votes");
  if (!elections || !votes) throw new Error("no elections votes topic");
  const all: Record<string, number> = {};
  const byVoter = new Map<string, string>();
  for await (const record of chooseSource(elections, undefined, options).open(options).records) {
    if (record.entity !== "votes") continue;
    const parsed = votes.schema.safeParse(record.value);
    if (!parsed.success) continue;
    const vote = parsed.data as { candidate_id: string; voter_id: string };
    all[vote.candidate_id] = (all[vote.candidate_id] ?? 0) + 1;
    byVoter.set(vote.voter_id, vote.candidate_id);
  }
  const perVoter: Record<string, number> = {};
  for (const candidate of byVoter.values()) perVoter[candidate] = (perVoter[candidate] ?? 0) + 1;
  return { all, perVoter };
}
