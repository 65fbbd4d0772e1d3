/**
 * How a pipeline run fails, on the synthesized stack and a fresh, separate set of services:
 * a dbt build that exits non-zero (PostgreSQL restarting under it, a failing dbt test) fails
 * the "Run dbt" state with States.TaskFailed, as ecs:runTask.sync does, and is NOT rerun —
 * the alert goes out after one dbt run, with dbt's own message in the history and in
 * `pipeline runs show`; the next run succeeds once the cause is gone, and reconcile finds
 * every record exactly once through staging.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../core/config/index.ts";
import { elections } from "../../core/datasets/elections/index.ts";
import type { Vote } from "../../core/datasets/elections/schema.ts";
import { generatedElections } from "../../core/datasets/elections/source.ts";
import { connectProducer, createKafka } from "../../core/kafka/client.ts";
import { produceRecords } from "../../core/producer/produce.ts";
import { chooseSource, produceDataset } from "../../core/producer/produce-dataset.ts";
import type { ReconcileReport } from "../../core/reconcile/index.ts";
import { summarizeStates } from "../../core/runs/summarize-states.ts";
import type { Execution } from "../../core/runs/types.ts";
import type { SourceRecord } from "../../core/sources/types.ts";
import { landingGroups, waitForLoaded } from "../../demo/wait-for-loaded.ts";
import { openRuntime } from "../../localstack/runtime/open.ts";
import type { LocalRuntime } from "../../localstack/runtime/runtime.ts";
import { down, servicesSettings, up } from "../../localstack/services/index.ts";
import { until } from "../fixtures/until.ts";
import { type SeparateServices, useSeparateServices } from "./separate-services.ts";

const run = promisify(execFile);
const CLI = join(import.meta.dirname, "../../bin/pipeline.mjs");

/** The quality gate's threshold, from its one home (dbt_project.yml). */
function maxRejectedVotes(): number {
  const project = readFileSync(join(import.meta.dirname, "../../dbt/dbt_project.yml"), "utf8");
  const match = /^\s*max_rejected_votes:\s*(\d+)/m.exec(project);
  if (!match?.[1]) throw new Error("dbt_project.yml has no max_rejected_votes");
  return Number(match[1]);
}

describe("pipeline run failures", () => {
  let services: SeparateServices;
  let runtime: LocalRuntime;

  beforeAll(async () => {
    // Prepare: separate services (ports below the ephemeral range), the local stack on them,
    // and a small election loaded through the real path.
    services = await useSeparateServices();
    runtime = await openRuntime({ log: () => undefined });
    await runtime.deploy();
    await runtime.start();
    const options = { count: 40, seed: 3 };
    await produceDataset(
      loadConfig(),
      elections,
      chooseSource(elections, "generator", options).open(options),
    );
    await waitForLoaded(landingGroups(runtime), 300_000, () => undefined);
  }, 600_000);

  afterAll(async () => {
    await runtime?.stop();
    await services?.release();
  });

  const history = (name: string) => runtime.history.get(name);
  const dbtEvents = (execution: Execution | undefined, type: string) =>
    (execution?.events ?? []).filter((e) => e.state === "Run dbt" && e.type === type);

  it("fails the run once, without rerunning dbt, when PostgreSQL goes away during it; the next run succeeds", async () => {
    // Act: stop PostgreSQL as the dbt state starts; bring it back once that attempt failed.
    const { execution, done } = runtime.startExecution(undefined, {});
    await until("the dbt state", () =>
      dbtEvents(history(execution.name), "StateEntered").length > 0 ? true : undefined,
    );
    await down(servicesSettings(), ["postgres"]);
    await until("the first dbt attempt to fail", () =>
      dbtEvents(history(execution.name), "StateFailed").length > 0 ? true : undefined,
    );
    await up(servicesSettings(), ["postgres"]);
    const failed = await done;
    const next = await runtime.startExecution(undefined, {}).done;

    // Assess: one dbt attempt, caught and alerted; then a clean run.
    expect(failed.status).toBe("FAILED");
    expect(dbtEvents(failed, "StateEntered")).toHaveLength(1);
    expect(dbtEvents(failed, "StateRetried")).toHaveLength(0);
    expect(summarizeStates(failed).find((s) => s.name === "Run dbt")).toMatchObject({
      status: "CAUGHT",
      retries: 0,
      error: "States.TaskFailed",
    });
    expect(next.status, next.cause).toBe("SUCCEEDED");
  }, 300_000);

  it("fails the run when a dbt test fails, with dbt's message in the history and `pipeline runs show`", async () => {
    // Prepare: registered voters voting for a candidate nobody registered: set apart as rejected
    // votes, one more than the quality gate's threshold (dbt_project.yml's max_rejected_votes).
    const producer = await connectProducer(createKafka(loadConfig().kafka));
    const election = generatedElections({ count: maxRejectedVotes() + 1, seed: 9, turnout: 1 }).records;
    const records: SourceRecord[] = [];
    for await (const record of election) {
      if (record.entity === "voters") records.push(record);
      if (record.entity === "votes")
        records.push({ ...record, value: { ...(record.value as Vote), candidate_id: "nobody" } });
    }
    await produceRecords(producer, elections, records, { source: "test" });
    await producer.disconnect();
    await waitForLoaded(landingGroups(runtime), 120_000, () => undefined);

    // Act
    const { done } = runtime.startExecution(undefined, {});
    const finished = await done;

    // Assess: the dbt state failed once — a failed build is not rerun — and dbt's own words say why.
    expect(finished.status).toBe("FAILED");
    const failures = dbtEvents(finished, "StateFailed");
    expect(failures).toHaveLength(1);
    expect(dbtEvents(finished, "StateRetried")).toHaveLength(0);
    expect(failures[0]?.error).toBe("States.TaskFailed");
    expect(failures[0]?.cause).toContain("rejected_votes_within_threshold");
    const dbtState = summarizeStates(finished).find((s) => s.name === "Run dbt");
    expect(dbtState).toMatchObject({ status: "CAUGHT", retries: 0, error: "States.TaskFailed" });
    // The alert went out (the catch's SNS publish), so the run ends with dbt's cause, not the alert's error.
    expect(finished.cause).toContain("rejected_votes_within_threshold");
    const { stdout } = await run(process.execPath, [CLI, "runs", "show", finished.name], {
      env: process.env,
    });
    expect(stdout).toContain("FAILED");
    expect(stdout).toMatch(/CAUGHT .* Run dbt\n/);
    expect(stdout).not.toMatch(/Run dbt \(\d+ retries\)/);
    expect(stdout).toContain("rejected_votes_within_threshold");
  }, 300_000);

  it("completes a rerun once the cause of the failure is fixed, and reconciles exactly", async () => {
    // Prepare: the candidate the failing run's votes named, now registered: they count.
    const producer = await connectProducer(createKafka(loadConfig().kafka));
    const candidate = { candidate_id: "nobody", candidate_name: "No Body", party: "None" };
    await produceRecords(producer, elections, [{ entity: "candidates", value: candidate }], {
      source: "test",
    });
    await producer.disconnect();
    await waitForLoaded(landingGroups(runtime), 120_000, () => undefined);

    // Act
    const finished = await runtime.startExecution(undefined, {}).done;
    const reconciled = await run(process.execPath, [CLI, "reconcile", "--dataset", "elections", "--json"], {
      env: process.env,
    });

    // Assess: the rerun succeeded; every record once in the raw tables and in staging.
    expect(finished.status, finished.cause).toBe("SUCCEEDED");
    const report = JSON.parse(reconciled.stdout) as ReconcileReport;
    expect(report.reconciled).toBe(true);
    expect(
      report.topics.map((t) => [t.topic, t.lost, t.duplicated, t.staging.built, t.issues.length]),
    ).toEqual([
      ["elections.candidates", 0, 0, true, 0],
      ["elections.voters", 0, 0, true, 0],
      ["elections.votes", 0, 0, true, 0],
    ]);
  }, 300_000);
});
