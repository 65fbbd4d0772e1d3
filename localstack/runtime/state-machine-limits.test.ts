import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ExecutionHistory } from "../../core/runs/local-history.ts";
import { STATE_PAYLOAD_LIMIT_BYTES, startExecution, type TaskRunner } from "./state-machines.ts";
import type { StateMachineDefinition } from "./template-reader.ts";

const machine = (definition: Record<string, unknown>): StateMachineDefinition => ({
  id: "Machine",
  name: "limits",
  arn: "arn:aws:states:us-east-1:000000000000:stateMachine:limits",
  definition,
  roleArn: "arn:aws:iam::000000000000:role/limits",
});

/** A Task answering a string of the asked length (its JSON: two quotes more), then a Pass that records it ran. */
const answering = (catchAll: boolean) =>
  machine({
    StartAt: "Answer",
    States: {
      Answer: {
        Type: "Task",
        Resource: "arn:aws:lambda:us-east-1:000000000000:function:answer",
        Next: "After",
        ...(catchAll ? { Catch: [{ ErrorEquals: ["States.ALL"], Next: "After" }] } : {}),
      },
      After: { Type: "Pass", End: true },
    },
  });

const answer: TaskRunner = async (_resource, input) => "x".repeat((input as { chars: number }).chars);

describe("Step Functions limits offline", () => {
  const historyDir = mkdtempSync(join(tmpdir(), "sfn-limits-"));
  const history = new ExecutionHistory(historyDir);
  afterAll(() => rmSync(historyDir, { recursive: true, force: true }));

  it("fails the execution with States.DataLimitExceeded when a task's output passes 256 KiB, past any Catch", async () => {
    // Act: one byte over the quota, with a Catch on States.ALL (which AWS says cannot catch it)
    const { done } = startExecution(
      answering(true),
      { history, runTask: answer },
      { input: { chars: STATE_PAYLOAD_LIMIT_BYTES - 2 + 1 } },
    );
    const execution = await done;

    // Assess
    expect(execution.status).toBe("FAILED");
    expect(execution.error).toBe("States.DataLimitExceeded");
    expect(execution.cause).toContain("'Answer'");
    expect(execution.events.some((e) => e.type === "StateEntered" && e.state === "After")).toBe(false);
  });

  it("lets an output of exactly 256 KiB through", async () => {
    const { done } = startExecution(
      answering(false),
      { history, runTask: answer },
      { input: { chars: STATE_PAYLOAD_LIMIT_BYTES - 2 } },
    );
    const execution = await done;
    expect(execution.status).toBe("SUCCEEDED");
    expect(execution.output).toHaveLength(STATE_PAYLOAD_LIMIT_BYTES - 2);
  });

  it("fails on a Pass state's output over the quota too (multi-byte UTF-8 counted in bytes)", async () => {
    const definition = {
      StartAt: "Grow",
      States: {
        Grow: { Type: "Pass", Parameters: { "twice.$": "States.Array($.text, $.text)" }, Next: "Done" },
        Done: { Type: "Pass", End: true },
      },
    };
    // 90,000 "é" are 180,000 bytes: under the quota once, over it twice.
    const { done } = startExecution(
      machine(definition),
      { history, runTask: answer },
      { input: { text: "é".repeat(90_000) } },
    );
    const execution = await done;
    expect(execution.error).toBe("States.DataLimitExceeded");
    expect(execution.cause).toContain("'Grow'");
  });

  it("ends an execution past the machine's TimeoutSeconds TIMED_OUT with States.Timeout", async () => {
    const definition = {
      TimeoutSeconds: 1,
      StartAt: "Slow",
      States: { Slow: { Type: "Wait", Seconds: 5, End: true } },
    };
    const started = Date.now();
    const execution = await startExecution(machine(definition), { history, runTask: answer }, {}).done;
    expect(execution.status).toBe("TIMED_OUT");
    expect(execution.error).toBe("States.Timeout");
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it("fails a Task past its own TimeoutSeconds with States.Timeout", async () => {
    const definition = {
      StartAt: "Hang",
      States: {
        Hang: {
          Type: "Task",
          Resource: "arn:aws:lambda:us-east-1:000000000000:function:hang",
          TimeoutSeconds: 1,
          End: true,
        },
      },
    };
    const hang: TaskRunner = () => new Promise((resolve) => setTimeout(resolve, 3_000));
    const execution = await startExecution(machine(definition), { history, runTask: hang }, {}).done;
    expect(execution.status).toBe("FAILED");
    expect(execution.error).toBe("States.Timeout");
  });
});
