import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExecutionHistory } from "../../core/runs/local-history.ts";
import { summarizeStates } from "../../core/runs/summarize-states.ts";
import { synthMiniStack, writeHandlers } from "../../test/fixtures/mini-stack.ts";
import { RuntimeAccess } from "./access.ts";
import { readAssembly } from "./assembly.ts";
import { LocalFunction } from "./functions/host.ts";
import { startExecution } from "./state-machines.ts";
import { createTaskRunner } from "./tasks.ts";
import { readStack } from "./template-reader.ts";

describe("state machines run from the template", () => {
  const { repoRoot, eventsFile } = writeHandlers();
  const assembly = synthMiniStack({ topic: "unused", batchSize: 10, bucketName: "unused-lake" }, eventsFile);
  const historyDir = mkdtempSync(join(tmpdir(), "history-"));
  const stack = readStack(readAssembly(assembly)[0]!, repoRoot, "us-east-1");
  const functions = new Map(
    stack.functions.map((f) => [f.functionName, new LocalFunction(f, "us-east-1", {})]),
  );
  let access: RuntimeAccess;
  beforeAll(async () => {
    access = await RuntimeAccess.start({ template: stack.context.template, log: () => undefined });
  });
  afterAll(async () => {
    await access.close();
    await Promise.all([...functions.values()].map((f) => f.stop()));
    for (const dir of [assembly, repoRoot, historyDir]) rmSync(dir, { recursive: true, force: true });
  });

  it("retries a Lambda task as the ASL's Retry says, records every event, and survives a re-read", async () => {
    // Prepare
    const history = new ExecutionHistory(historyDir);
    const runTask = createTaskRunner({
      roleArn: stack.stateMachines[0]!.roleArn,
      access,
      functionArn: (name) => stack.functions.find((f) => f.functionName === name)!.functionArn,
      invokeFunction: (name, payload) => functions.get(name)!.invoke(payload),
      runEcsTask: async () => {
        throw new Error("no ECS task in this stack");
      },
    });

    // Act
    const { done } = startExecution(
      stack.stateMachines[0]!,
      { history, runTask },
      { name: "run-1", input: { day: "2026-11-01" } },
    );
    const execution = await done;

    // Assess
    expect(execution.status).toBe("SUCCEEDED");
    expect(execution.output).toEqual({ day: "2026-11-01", calls: 3 });
    const flaky = summarizeStates(execution).find((s) => s.name === "Flaky step");
    expect(flaky).toMatchObject({ status: "SUCCEEDED", retries: 2 });
    const reread = new ExecutionHistory(historyDir).get("run-1");
    expect(reread?.status).toBe("SUCCEEDED");
    expect(reread?.events.map((e) => e.type)).toContain("StateRetried");
  });

  it("marks a RUNNING execution of a dead process as ABORTED", () => {
    const history = new ExecutionHistory(historyDir);
    history.save({
      executionArn: "arn:aws:states:us-east-1:000000000000:execution:mini-pipeline:orphan",
      name: "orphan",
      stateMachineArn: "arn:aws:states:us-east-1:000000000000:stateMachine:mini-pipeline",
      stateMachineName: "mini-pipeline",
      status: "RUNNING",
      startDate: new Date().toISOString(),
      input: {},
      pid: 2 ** 22 + 1, // above Linux's pid_max default: no such process
      events: [],
    });

    expect(history.get("orphan")?.status).toBe("ABORTED");
  });
});
