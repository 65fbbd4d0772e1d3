/**
 * Runs the template's state machines with `aws-local-stepfunctions`, the way Step Functions
 * would: Lambda tasks invoke the in-process functions, `ecs:runTask.sync` runs the task
 * definition's container command locally, other service integrations go to the emulator.
 * Every event goes to the execution history as it happens.
 *
 * AWS's limits hold: a state's input or output over 256 KiB fails the execution with
 * States.DataLimitExceeded (which no Catch, not even States.ALL, catches); the machine's
 * TimeoutSeconds ends it TIMED_OUT with States.Timeout. aws-local-stepfunctions already
 * enforces TimeoutSeconds (execution and Task) and Task HeartbeatSeconds is moot for our
 * synchronous local handlers; it does not enforce the payload quota, so that is done here.
 */
import { randomUUID } from "node:crypto";
import { StateMachine } from "aws-local-stepfunctions";
import { PipelineError } from "../../core/errors.ts";
import type { ExecutionHistory, LocalExecution } from "../../core/runs/local-history.ts";
import type { HistoryEvent } from "../../core/runs/types.ts";
import type { StateMachineDefinition } from "./template-reader.ts";

/** One entry of the library's event log (its type isn't exported). */
type EventLog = { type: string; timestamp: number };

/** What a Task state's resource does locally, given the state's effective input (after Parameters). */
export type TaskRunner = (
  resource: string,
  input: unknown,
  execution: { name: string; arn: string },
) => Promise<unknown>;

export interface StartOptions {
  readonly name?: string;
  readonly input?: unknown;
}

export interface StateMachineRunnerDeps {
  readonly history: ExecutionHistory;
  readonly runTask: TaskRunner;
}

/** Step Functions' quota on a state's input or output: 256 KiB of UTF-8 JSON. */
export const STATE_PAYLOAD_LIMIT_BYTES = 262_144;

export class TaskError extends PipelineError {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

export function startExecution(
  machine: StateMachineDefinition,
  deps: StateMachineRunnerDeps,
  options: StartOptions = {},
): { execution: LocalExecution; done: Promise<LocalExecution> } {
  const name = options.name ?? randomUUID();
  const arn = `${machine.arn.replace(":stateMachine:", ":execution:")}:${name}`;
  const input = options.input ?? {};
  const execution: LocalExecution = {
    executionArn: arn,
    name,
    stateMachineArn: machine.arn,
    stateMachineName: machine.name,
    status: "RUNNING",
    startDate: new Date().toISOString(),
    input,
    pid: process.pid,
    events: [],
  };
  deps.history.save(execution);

  // The first payload over the quota: it ends the execution (set once, then the run is aborted).
  let dataLimit: { error: string; cause: string } | undefined;
  const withinLimit = (stateName: string, what: "input" | "output", value: unknown): boolean => {
    if (dataLimit) return false;
    const bytes = Buffer.byteLength(JSON.stringify(value ?? null), "utf8");
    if (bytes <= STATE_PAYLOAD_LIMIT_BYTES) return true;
    dataLimit = {
      error: "States.DataLimitExceeded",
      cause:
        what === "output"
          ? `The state/task '${stateName}' returned a result with a size exceeding the maximum number of bytes service limit.`
          : `The state/task '${stateName}' input of ${bytes} bytes exceeds the maximum number of bytes service limit (${STATE_PAYLOAD_LIMIT_BYTES}).`,
    };
    run.abort();
    return false;
  };
  const handlers: Record<string, (input: unknown) => Promise<never>> = {};
  for (const [stateName, resource] of taskStates(machine.definition)) {
    handlers[stateName] = async (stateInput) => {
      // Checked here too, not only in the event log, so an oversized result never reaches the next state.
      if (!withinLimit(stateName, "input", stateInput)) return new Promise<never>(() => undefined);
      const result = await deps.runTask(resource, stateInput, { name, arn });
      if (!withinLimit(stateName, "output", result)) return new Promise<never>(() => undefined);
      return result as never;
    };
  }
  const stateMachine = new StateMachine(machine.definition as never, {
    validationOptions: { checkArn: false, checkPaths: false },
  });
  const run = stateMachine.run(input as never, {
    overrides: { taskResourceLocalHandlers: handlers as never },
    context: {
      Execution: { Id: arn, Name: name, Input: input as never, StartTime: execution.startDate },
      StateMachine: { Id: machine.arn, Name: machine.name },
    } as never,
  });

  const record = async () => {
    for await (const event of run.eventLogs) {
      const state = (event as EventLog & { state?: { name: string; input?: unknown; output?: unknown } })
        .state;
      if (state && event.type === "StateEntered") withinLimit(state.name, "input", state.input);
      if (state && event.type === "StateExited") withinLimit(state.name, "output", state.output);
      execution.events.push(toHistoryEvent(event, execution.events.length + 1));
      deps.history.save(execution);
    }
  };
  const done = (async () => {
    const recording = record();
    try {
      execution.output = await run.result;
      execution.status = "SUCCEEDED";
    } catch (error) {
      const e = error as Error & { cause?: unknown };
      // The failure event may still be on its way to the history: read it once recorded.
      await recording;
      const timedOut = e.name === "ExecutionTimeoutError";
      execution.status = timedOut ? "TIMED_OUT" : "FAILED";
      const failed = [...execution.events].reverse().find((ev) => ev.type === "ExecutionFailed");
      execution.error = timedOut ? "States.Timeout" : (failed?.error ?? e.name);
      execution.cause = timedOut
        ? `The execution ran longer than the state machine's TimeoutSeconds (${machine.definition.TimeoutSeconds} s)`
        : (failed?.cause ?? e.message);
    }
    await recording;
    if (dataLimit) {
      // The run was aborted for it: the execution failed, as Step Functions fails it.
      execution.status = "FAILED";
      execution.error = dataLimit.error;
      execution.cause = dataLimit.cause;
      execution.output = undefined;
      execution.events.push({
        id: execution.events.length + 1,
        type: "ExecutionFailed",
        timestamp: new Date().toISOString(),
        ...dataLimit,
      });
    }
    execution.stopDate = new Date().toISOString();
    deps.history.save(execution);
    return execution;
  })();
  return { execution, done };
}

/** Every Task state (in Map iterators and Parallel branches too) and its Resource. */
export function taskStates(definition: Record<string, unknown>): Array<[string, string]> {
  const found: Array<[string, string]> = [];
  const visit = (states: Record<string, Record<string, unknown>> | undefined) => {
    for (const [name, state] of Object.entries(states ?? {})) {
      if (state.Type === "Task") found.push([name, String(state.Resource)]);
      const nested = (state.ItemProcessor ?? state.Iterator) as
        | { States?: Record<string, Record<string, unknown>> }
        | undefined;
      if (nested) visit(nested.States);
      for (const branch of (state.Branches as Array<{ States?: Record<string, Record<string, unknown>> }>) ??
        []) {
        visit(branch.States);
      }
    }
  };
  visit(definition.States as Record<string, Record<string, unknown>>);
  return found;
}

function toHistoryEvent(event: EventLog, id: number): HistoryEvent {
  const base = { id, type: event.type, timestamp: new Date(event.timestamp).toISOString() };
  const e = event as EventLog & {
    state?: { name: string; type: string; input: unknown; output?: unknown };
    parentState?: { name: string; type: string };
    Error?: string;
    Cause?: unknown;
    index?: number;
    input?: unknown;
    output?: unknown;
    retry?: { attempt: number };
  };
  const state = e.state ?? e.parentState;
  return {
    ...base,
    ...(state ? { state: state.name, stateType: state.type } : {}),
    ...(e.state?.input !== undefined
      ? { input: e.state.input }
      : e.input !== undefined
        ? { input: e.input }
        : {}),
    ...(e.state?.output !== undefined
      ? { output: e.state.output }
      : e.output !== undefined
        ? { output: e.output }
        : {}),
    ...(e.Error !== undefined
      ? { error: e.Error, cause: typeof e.Cause === "string" ? e.Cause : JSON.stringify(e.Cause) }
      : {}),
    ...(e.index !== undefined ? { index: e.index } : {}),
    ...(e.retry ? { retryAttempt: e.retry.attempt } : {}),
  };
}
