import type { HistoryEvent } from "@aws-sdk/client-sfn";
import { describe, expect, it } from "vitest";
import { summarizeStates } from "../../core/runs/summarize-states.ts";
import { executionFromHistory } from "./runs-sfn.ts";

const MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:pipeline-dev-run";
const EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:pipeline-dev-run:run-1";
const at = (second: number) => new Date(Date.UTC(2026, 10, 22, 6, 0, second));
let id = 0;
const event = (second: number, type: string, details: Partial<HistoryEvent> = {}): HistoryEvent =>
  ({ id: ++id, timestamp: at(second), type, ...details }) as HistoryEvent;

describe("Step Functions history → the runtime's execution shape", () => {
  it("gives states with durations, a retry, and the failure that ended the run", () => {
    // Prepare: Load pending succeeds; Run dbt fails once, is retried, fails again and fails the run.
    const history = [
      event(0, "ExecutionStarted", { executionStartedEventDetails: { input: '{"select":"marts"}' } }),
      event(0, "TaskStateEntered", { stateEnteredEventDetails: { name: "Load pending files" } }),
      event(1, "LambdaFunctionScheduled"),
      event(3, "LambdaFunctionSucceeded"),
      event(3, "TaskStateExited", { stateExitedEventDetails: { name: "Load pending files" } }),
      event(3, "TaskStateEntered", { stateEnteredEventDetails: { name: "Run dbt" } }),
      event(4, "TaskScheduled"),
      event(10, "TaskFailed", {
        taskFailedEventDetails: {
          resourceType: "ecs",
          resource: "runTask.sync",
          error: "States.TaskFailed",
          cause: "exit 1",
        },
      }),
      event(12, "TaskScheduled"),
      event(20, "TaskFailed", {
        taskFailedEventDetails: {
          resourceType: "ecs",
          resource: "runTask.sync",
          error: "States.TaskFailed",
          cause: "exit 2",
        },
      }),
      event(20, "ExecutionFailed", {
        executionFailedEventDetails: { error: "States.TaskFailed", cause: "exit 2" },
      }),
    ];

    // Act
    const execution = executionFromHistory(EXECUTION, MACHINE, history);
    const states = summarizeStates(execution);

    // Assess
    expect(execution).toMatchObject({
      name: "run-1",
      stateMachineName: "pipeline-dev-run",
      status: "FAILED",
      error: "States.TaskFailed",
      cause: "exit 2",
      input: { select: "marts" },
      startDate: at(0).toISOString(),
      stopDate: at(20).toISOString(),
    });
    expect(states).toEqual([
      expect.objectContaining({
        name: "Load pending files",
        type: "Task",
        status: "SUCCEEDED",
        durationMs: 3000,
      }),
      expect.objectContaining({
        name: "Run dbt",
        status: "FAILED",
        retries: 1,
        durationMs: 17_000,
        error: "States.TaskFailed",
        cause: "exit 2",
      }),
    ]);
  });

  it("reports a run still going as RUNNING with its open state", () => {
    const history = [
      event(0, "ExecutionStarted", { executionStartedEventDetails: { input: "{}" } }),
      event(0, "TaskStateEntered", { stateEnteredEventDetails: { name: "Load pending files" } }),
    ];

    const execution = executionFromHistory(EXECUTION, MACHINE, history);

    expect(execution.status).toBe("RUNNING");
    expect(summarizeStates(execution)).toEqual([expect.objectContaining({ status: "RUNNING" })]);
  });
});
