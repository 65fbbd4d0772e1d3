/**
 * Runs in AWS: Step Functions ListExecutions and GetExecutionHistory, with the history turned
 * into the local runtime's event shape (StateEntered / StateExited / StateFailed /
 * StateRetried) so one summary serves both.
 */
import {
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  type HistoryEvent as SfnEvent,
} from "@aws-sdk/client-sfn";
import { stepFunctions } from "../../core/aws/clients.ts";
import type { Execution, ExecutionStatus, HistoryEvent } from "../../core/runs/types.ts";
import type { RunsSource } from "./runs-source.ts";

/** History pages read per run (1,000 events each): a pipeline run has a few dozen. */
const MAX_HISTORY_PAGES = 5;

export class StepFunctionsRunsSource implements RunsSource {
  private readonly stateMachineArn: string;

  constructor(stateMachineArn: string) {
    this.stateMachineArn = stateMachineArn;
  }

  async list(limit: number): Promise<Execution[]> {
    const page = await stepFunctions().send(
      new ListExecutionsCommand({ stateMachineArn: this.stateMachineArn, maxResults: limit }),
    );
    return (page.executions ?? []).map((e) => ({
      executionArn: e.executionArn ?? "",
      name: e.name ?? "",
      stateMachineArn: e.stateMachineArn ?? this.stateMachineArn,
      stateMachineName: machineName(this.stateMachineArn),
      status: (e.status ?? "RUNNING") as ExecutionStatus,
      startDate: iso(e.startDate) ?? "",
      stopDate: iso(e.stopDate),
      input: undefined,
      events: [],
    }));
  }

  async get(id: string): Promise<Execution | undefined> {
    const executionArn = `${this.stateMachineArn.replace(":stateMachine:", ":execution:")}:${id}`;
    const events: SfnEvent[] = [];
    let nextToken: string | undefined;
    try {
      for (let page = 0; page < MAX_HISTORY_PAGES; page++) {
        const answer = await stepFunctions().send(
          new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 1000 }),
        );
        events.push(...(answer.events ?? []));
        nextToken = answer.nextToken;
        if (!nextToken) break;
      }
    } catch (error) {
      if ((error as { name?: string }).name === "ExecutionDoesNotExist") return undefined;
      throw error;
    }
    return executionFromHistory(executionArn, this.stateMachineArn, events);
  }
}

/** Builds an execution (status, dates, error, state events) from a Step Functions history. */
export function executionFromHistory(
  executionArn: string,
  stateMachineArn: string,
  events: readonly SfnEvent[],
): Execution {
  const converted: HistoryEvent[] = [];
  const open: string[] = [];
  /** A task failure not yet known to be retried or final. */
  let pendingFailure: { state: string; error?: string; cause?: string } | undefined;
  let status: ExecutionStatus = "RUNNING";
  let stopDate: string | undefined;
  let error: string | undefined;
  let cause: string | undefined;
  let input: unknown;
  let output: unknown;
  const push = (event: Omit<HistoryEvent, "id">) => converted.push({ id: converted.length + 1, ...event });
  const failPending = (timestamp: string) => {
    if (!pendingFailure) return;
    push({ type: "StateFailed", timestamp, ...pendingFailure });
    open.splice(open.lastIndexOf(pendingFailure.state), 1);
    pendingFailure = undefined;
  };

  for (const event of events) {
    const type = event.type ?? "";
    const timestamp = iso(event.timestamp) ?? "";
    if (type === "ExecutionStarted") input = parse(event.executionStartedEventDetails?.input);
    if (type.endsWith("StateEntered")) {
      const name = event.stateEnteredEventDetails?.name ?? "";
      open.push(name);
      push({ type: "StateEntered", timestamp, state: name, stateType: type.replace("StateEntered", "") });
    } else if (type.endsWith("StateExited")) {
      const name = event.stateExitedEventDetails?.name ?? "";
      if (pendingFailure?.state === name) {
        // Exited after a failure: a Catch took it.
        push({ type: "StateCaught", timestamp, state: name, error: pendingFailure.error });
        pendingFailure = undefined;
      }
      open.splice(open.lastIndexOf(name), 1);
      push({ type: "StateExited", timestamp, state: name });
    } else if (type.endsWith("Scheduled") && pendingFailure) {
      // The same task scheduled again after a failure: a Retry.
      push({ type: "StateRetried", timestamp, state: pendingFailure.state, error: pendingFailure.error });
      pendingFailure = undefined;
    } else if (isTaskFailure(type)) {
      const details = failureDetails(event);
      const state = open.at(-1);
      if (state) pendingFailure = { state, ...details };
    } else if (type.startsWith("Execution") && type !== "ExecutionStarted") {
      failPending(timestamp);
      status = executionStatus(type);
      stopDate = timestamp;
      const details = failureDetails(event);
      error = details.error;
      cause = details.cause;
      output = parse(event.executionSucceededEventDetails?.output);
    }
  }
  const name = executionArn.slice(executionArn.lastIndexOf(":") + 1);
  const startDate = iso(events[0]?.timestamp) ?? "";
  return {
    executionArn,
    name,
    stateMachineArn,
    stateMachineName: machineName(stateMachineArn),
    status,
    startDate,
    stopDate,
    input,
    output,
    error,
    cause,
    events: converted,
  };
}

function isTaskFailure(type: string): boolean {
  return /(Failed|TimedOut)$/.test(type) && !type.startsWith("Execution") && !type.startsWith("MapRun");
}

function executionStatus(type: string): ExecutionStatus {
  if (type === "ExecutionSucceeded") return "SUCCEEDED";
  if (type === "ExecutionAborted") return "ABORTED";
  if (type === "ExecutionTimedOut") return "TIMED_OUT";
  if (type === "ExecutionFailed") return "FAILED";
  return "RUNNING";
}

/** Error and cause of whichever *Failed / *TimedOut details the event carries. */
function failureDetails(event: SfnEvent): { error?: string; cause?: string } {
  for (const [key, value] of Object.entries(event)) {
    if (!key.endsWith("EventDetails") || !value || typeof value !== "object") continue;
    const details = value as { error?: string; cause?: string };
    if (details.error !== undefined || details.cause !== undefined)
      return { error: details.error, cause: details.cause };
  }
  return {};
}

function machineName(arn: string): string {
  return arn.slice(arn.lastIndexOf(":") + 1);
}

function iso(date: Date | undefined): string | undefined {
  return date ? date.toISOString() : undefined;
}

function parse(json: string | undefined): unknown {
  if (json === undefined) return undefined;
  try {
    return JSON.parse(json);
  } catch {
    return json;
  }
}
