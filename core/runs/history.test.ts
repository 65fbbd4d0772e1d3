import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { AmbiguousRunError, ExecutionHistory, type LocalExecution } from "./local-history.ts";
import { summarizeStates } from "./summarize-states.ts";
import type { HistoryEvent } from "./types.ts";

const at = (second: number) => new Date(Date.UTC(2026, 11, 1, 0, 0, second)).toISOString();

function execution(events: Omit<HistoryEvent, "id">[]): LocalExecution {
  return {
    executionArn: "arn:aws:states:us-east-1:000000000000:execution:run:r1",
    name: "r1",
    stateMachineArn: "arn:aws:states:us-east-1:000000000000:stateMachine:run",
    stateMachineName: "run",
    status: "FAILED",
    startDate: at(0),
    input: {},
    pid: process.pid,
    events: events.map((e, id) => ({ id, ...e })),
  };
}

const dbt = { state: "Run dbt", stateType: "Task" };

describe("state summaries", () => {
  it("shows a failed state that a Catch handled as CAUGHT with its error, not SUCCEEDED", () => {
    // The interpreter reports a caught state as exited after the catch.
    const states = summarizeStates(
      execution([
        { type: "StateEntered", timestamp: at(0), ...dbt },
        { type: "StateFailed", timestamp: at(5), ...dbt, error: "States.TaskFailed", cause: "exit 1" },
        { type: "StateCaught", timestamp: at(5), ...dbt },
        { type: "StateExited", timestamp: at(5), ...dbt },
      ]),
    );

    expect(states).toEqual([
      expect.objectContaining({
        name: "Run dbt",
        status: "CAUGHT",
        retries: 0,
        error: "States.TaskFailed",
        cause: "exit 1",
        durationMs: 5000,
      }),
    ]);
  });

  it("shows a state that succeeded on a retry as SUCCEEDED with its retries and no error", () => {
    const states = summarizeStates(
      execution([
        { type: "StateEntered", timestamp: at(0), ...dbt },
        { type: "StateFailed", timestamp: at(1), ...dbt, error: "ECS.AmazonECSException", cause: "busy" },
        { type: "StateRetried", timestamp: at(2), ...dbt, retryAttempt: 1 },
        { type: "StateExited", timestamp: at(9), ...dbt },
      ]),
    );

    expect(states).toEqual([expect.objectContaining({ status: "SUCCEEDED", retries: 1, durationMs: 9000 })]);
    expect(states[0]?.error).toBeUndefined();
  });

  it("keeps the last attempt's error when every retry failed", () => {
    const states = summarizeStates(
      execution([
        { type: "StateEntered", timestamp: at(0), ...dbt },
        { type: "StateFailed", timestamp: at(1), ...dbt, error: "ECS.ServerException", cause: "first" },
        { type: "StateRetried", timestamp: at(2), ...dbt, retryAttempt: 1 },
        { type: "StateFailed", timestamp: at(3), ...dbt, error: "ECS.ServerException", cause: "second" },
      ]),
    );

    expect(states).toEqual([
      expect.objectContaining({
        status: "FAILED",
        retries: 1,
        error: "ECS.ServerException",
        cause: "second",
      }),
    ]);
  });
});

describe("finding a run", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  function historyWith(...names: string[]): ExecutionHistory {
    const dir = mkdtempSync(join(tmpdir(), "history-"));
    dirs.push(dir);
    const history = new ExecutionHistory(dir);
    for (const name of names) {
      history.save({
        ...execution([]),
        name,
        executionArn: `arn:aws:states:us-east-1:000000000000:execution:run:${name}`,
      });
    }
    return history;
  }

  it("finds a run by a prefix of its name only one run has (regression: `runs show <prefix>` said no run)", () => {
    const history = historyWith("3f2a9c10-aaaa", "3f7b0000-bbbb");

    expect(history.find("3f2a")?.name).toBe("3f2a9c10-aaaa");
    expect(history.find("3f7b0000-bbbb")?.name).toBe("3f7b0000-bbbb");
    expect(history.find("arn:aws:states:us-east-1:000000000000:execution:run:3f2a9c10-aaaa")?.name).toBe(
      "3f2a9c10-aaaa",
    );
    expect(history.find("4")).toBeUndefined();
  });

  it("refuses a prefix two runs share, naming them", () => {
    const history = historyWith("3f2a9c10-aaaa", "3f7b0000-bbbb");

    expect(() => history.find("3f")).toThrow(AmbiguousRunError);
    expect(() => history.find("3f")).toThrow(/3f2a9c10-aaaa, 3f7b0000-bbbb/);
  });
});
