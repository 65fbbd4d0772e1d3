/**
 * The synthesized "pipeline run" definition executed by aws-local-stepfunctions (the
 * interpreter the local runtime uses), with recording handlers in place of the Lambda and
 * ECS tasks: the input defaults, the backfill fan-out over days and the failure path behave
 * as the definition promises.
 */
import { ExecutionError, StateMachine } from "aws-local-stepfunctions";
import { describe, expect, it } from "vitest";
import { backfillDays } from "../lambdas/plan-backfill/days.ts";
import { stateMachineDefinition, synthesize } from "./test-support.ts";

/** The plan-backfill function's own logic, so the Map sees what it would see. */
function planBackfill(input: { backfill: { from: string; to: string }; dbtArgs: string[] }) {
  return backfillDays(input.backfill.from, input.backfill.to, input.dbtArgs);
}

type Json = Record<string, unknown>;

// Synthesized while collecting: synthesis is slow on a busy machine, tests stay fast.
const definition = stateMachineDefinition(synthesize().template);

function runMachine(input: Json, failAt?: string) {
  const calls: { state: string; input: Json }[] = [];
  const record =
    (state: string, output: (input: Json) => Json = () => ({})) =>
    async (stateInput: unknown) => {
      calls.push({ state, input: stateInput as Json });
      if (state === failAt)
        throw Object.assign(new Error("2 dbt node(s) failed"), { name: "QualityGateFailed" });
      return output(stateInput as Json) as never;
    };
  const dbtTask = () => ({
    StopCode: "EssentialContainerExited",
    Containers: [{ Name: "dbt", ExitCode: 0 }],
  });
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
      retryIntervalOverrides: { "Quality gate": 0, "Run dbt": 0 },
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
});
