/**
 * The synthesized "pipeline run" definition executed by aws-local-stepfunctions (the
 * interpreter the local runtime uses), with recording handlers in place of the Lambda and
 * ECS tasks: the input defaults, the backfill fan-out over days and the failure path behave
 * as the definition promises.
 */
import { ExecutionError, StateMachine } from "aws-local-stepfunctions";
import { describe, expect, it } from "vitest";
import { backfillDays, MAX_DAYS } from "../lambdas/plan-backfill/days.ts";
import { stateMachineDefinition, synthesize } from "../test/fixtures/stacks.ts";
import { BACKFILL_DAY_TIMEOUT, RUN_TIMEOUT } from "./constructs/orchestration.ts";

/** The plan-backfill function's own logic, so the Map sees what it would see. */
function planBackfill(input: { backfill: { from: string; to: string }; dbtArgs: string[] }) {
  return backfillDays(input.backfill.from, input.backfill.to, input.dbtArgs);
}

type Json = Record<string, unknown>;

// Synthesized while collecting: synthesis is slow on a busy machine, tests stay fast.
const definition = stateMachineDefinition(synthesize().template);

/** A stopped Fargate task as ecs:runTask.sync returns it: kilobytes (attachments, containers, overrides). */
function stoppedTask(exitCode: number): Json {
  const details = Array.from({ length: 40 }, (_, i) => ({ name: `detail-${i}`, value: "x".repeat(120) }));
  return {
    TaskArn: "arn:aws:ecs:us-east-1:123456789012:task/cluster/0123456789abcdef",
    StopCode: "EssentialContainerExited",
    StoppedReason: "Essential container in task exited",
    Attachments: [{ Type: "ElasticNetworkInterface", Details: details }],
    Containers: [{ Name: "dbt", ExitCode: exitCode, LastStatus: "STOPPED", Image: "x".repeat(200) }],
    Overrides: { ContainerOverrides: [{ Name: "dbt", Environment: details }] },
  };
}

function runMachine(input: Json, failAt?: string, failWith = "QualityGateFailed") {
  const calls: { state: string; input: Json }[] = [];
  const record =
    (state: string, output: (input: Json) => Json = () => ({})) =>
    async (stateInput: unknown) => {
      calls.push({ state, input: stateInput as Json });
      if (state === failAt) throw Object.assign(new Error("2 dbt node(s) failed"), { name: failWith });
      return output(stateInput as Json) as never;
    };
  const dbtTask = () => stoppedTask(0);
  const machine = new StateMachine(definition as never, { validationOptions: { checkArn: false } });
  const execution = machine.run(input as never, {
    context: {
      Execution: { Id: "arn:aws:states:us-east-1:123456789012:execution:run:exec-1", Name: "exec-1" },
    } as never,
    overrides: {
      taskResourceLocalHandlers: {
        "Load pending files": record("load", () => ({ loaded: 2 })),
        "Plan backfill days": record("plan", (i) => planBackfill(i as never) as never),
        "Run dbt": record("dbt", dbtTask),
        "Quality gate": record("gate", () => ({ passed: true })),
        "Backfill: Run dbt": record("dbt", dbtTask),
        "Backfill: Quality gate": record("gate", () => ({ passed: true })),
        "Publish summary": record("summary", () => ({ key: "dbt/exec-1/summary.json" })),
        "Notify failure": record("alert"),
      },
      retryIntervalOverrides: { "Quality gate": 0, "Run dbt": 0, "Backfill: Run dbt": 0 },
    },
  });
  return { result: execution.result as Promise<Json>, calls };
}

/** Inputs the ECS task state received: what it passes as Command and EXECUTION_ID. */
const dbtCalls = (calls: { state: string; input: Json }[]) => calls.filter((c) => c.state === "dbt");

describe("pipeline run, executed", () => {
  it("runs `dbt build` by default, named after the execution, through gate and summary", async () => {
    const { result, calls } = runMachine({});

    const output = await result;

    expect(calls.map((c) => c.state)).toEqual(["load", "dbt", "gate", "summary"]);
    expect(calls[0]?.input).toEqual({ runId: "exec-1" });
    expect(output).toMatchObject({
      runId: "exec-1",
      dbtArgs: ["build"],
      summary: { key: "dbt/exec-1/summary.json" },
    });
    expect(calls[2]?.input).toMatchObject({ runId: "exec-1", dbt: { Containers: [{ ExitCode: 0 }] } });
  });

  it("passes the caller's dbt arguments to the container", async () => {
    const { result, calls } = runMachine({ dbtArgs: ["build", "--select", "marts.elections"] });

    await result;

    expect(dbtCalls(calls)).toHaveLength(1);
    expect(calls.find((c) => c.state === "gate")?.input).toMatchObject({ runId: "exec-1" });
  });

  it("fans a backfill range out into one dbt run and gate per day", async () => {
    const { result, calls } = runMachine({ backfill: { from: "2026-11-01", to: "2026-11-03" } });

    const output = await result;

    const gates = calls.filter((c) => c.state === "gate").map((c) => c.input.runId);
    expect(gates).toEqual(["exec-1/2026-11-01", "exec-1/2026-11-02", "exec-1/2026-11-03"]);
    expect(dbtCalls(calls)).toHaveLength(3);
    expect((output.days as Json[]).map((d) => d.day)).toEqual(["2026-11-01", "2026-11-02", "2026-11-03"]);
    expect((output.days as Json[])[1]).toMatchObject({
      dbtArgs: ["build", "--vars", '{"run_date":"2026-11-02"}'],
    });
  });

  it("alerts and fails the execution when the quality gate fails", async () => {
    const { result, calls } = runMachine({}, "gate");

    await expect(result).rejects.toThrow(ExecutionError);
    // The Fail state's cause is the gate's message, so dbt's failures show in the execution.
    await expect(result).rejects.toThrow(/2 dbt node\(s\) failed/);
    expect(calls.map((c) => c.state)).toEqual(["load", "dbt", "gate", "alert"]);
  });

  it("does not rerun a dbt build that failed (States.TaskFailed: dbt exited non-zero)", async () => {
    const { result, calls } = runMachine({}, "dbt", "States.TaskFailed");

    await expect(result).rejects.toThrow(/2 dbt node\(s\) failed/);
    expect(calls.map((c) => c.state)).toEqual(["load", "dbt", "alert"]);
  });

  it("retries the dbt task when ECS itself failed (the task never ran)", async () => {
    const { result, calls } = runMachine({}, "dbt", "ECS.AmazonECSException");

    await expect(result).rejects.toThrow(ExecutionError);
    expect(dbtCalls(calls)).toHaveLength(3); // the first try and its 2 retries
  });

  it("keeps a month's backfill output small: a summary per day, not the stopped task", async () => {
    // 31 days of a month, each dbt state answering with a full stopped-task description.
    const { result, calls } = runMachine({ backfill: { from: "2026-01-01", to: "2026-01-31" } });

    const output = await result;

    expect(dbtCalls(calls)).toHaveLength(MAX_DAYS);
    const days = output.days as Json[];
    expect(days).toHaveLength(MAX_DAYS);
    expect(Object.keys(days[0] ?? {}).sort()).toEqual(["day", "dbtArgs", "quality", "runId"]);
    // Step Functions refuses a state output over 256 KB: each day's share stays so small that
    // even a year of days would fit, whatever the range cap.
    const perDay = Buffer.byteLength(JSON.stringify(days[0]));
    expect(perDay).toBeLessThan(300);
    expect(366 * perDay).toBeLessThan(256 * 1024);
    expect(Buffer.byteLength(JSON.stringify(output))).toBeLessThan(16 * 1024);
    // What the gate reads survives the selection.
    expect(calls.find((c) => c.state === "gate")?.input).toMatchObject({
      dbt: { Containers: [{ Name: "dbt", ExitCode: 0 }] },
    });
    expect(JSON.stringify(calls.find((c) => c.state === "gate")?.input)).not.toContain("Attachments");
  });

  it("refuses a backfill longer than fits in the run's timeout, with the reason", async () => {
    const { result, calls } = runMachine({ backfill: { from: "2025-01-01", to: "2025-12-31" } });

    await expect(result).rejects.toThrow(/at most 31 days per run/);
    expect(dbtCalls(calls)).toHaveLength(0);
    // The cap is what makes the sequential days fit: each day's dbt budget × the days < the run's.
    const budget = MAX_DAYS * BACKFILL_DAY_TIMEOUT.toMinutes() + 60;
    expect(budget).toBeLessThanOrEqual(RUN_TIMEOUT.toMinutes());
  });
});
