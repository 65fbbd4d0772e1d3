/**
 * Runs the template's state machines with `aws-local-stepfunctions`, the way Step Functions
 * would: Lambda tasks invoke the in-process functions, `ecs:runTask.sync` runs the task
 * definition's container command locally, other service integrations go to the emulator.
 * Every event goes to the execution history as it happens.
 */
import { randomUUID } from "node:crypto";
import { StateMachine } from "aws-local-stepfunctions";
import type { Execution, ExecutionHistory, HistoryEvent } from "./history.ts";
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

export class TaskError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

export function startExecution(
  machine: StateMachineDefinition,
  deps: StateMachineRunnerDeps,
  options: StartOptions = {},
): { execution: Execution; done: Promise<Execution> } {
  const name = options.name ?? randomUUID();
  const arn = `${machine.arn.replace(":stateMachine:", ":execution:")}:${name}`;
  const input = options.input ?? {};
  const execution: Execution = {
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

  const handlers: Record<string, (input: unknown) => Promise<never>> = {};
  for (const [stateName, resource] of taskStates(machine.definition)) {
    handlers[stateName] = (stateInput) => deps.runTask(resource, stateInput, { name, arn }) as Promise<never>;
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
      execution.status = e.name === "ExecutionTimeoutError" ? "TIMED_OUT" : "FAILED";
      const failed = [...execution.events].reverse().find((ev) => ev.type === "ExecutionFailed");
      execution.error = failed?.error ?? e.name;
      execution.cause = failed?.cause ?? e.message;
    }
    await recording;
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
