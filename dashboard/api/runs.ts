/**
 * GET /api/runs and GET /api/runs/{id}: pipeline runs like the Step Functions console shows
 * them. One interface, two sources chosen by configuration: the local runtime's execution
 * history offline (`RUNS_SOURCE=local`), Step Functions' ListExecutions/GetExecutionHistory in
 * AWS (`STATE_MACHINE_ARN`).
 */
import { summarizeStates } from "../../core/runs/summarize-states.ts";
import type { Execution, HistoryEvent } from "../../core/runs/types.ts";
import { NotFoundError, SourceUnavailableError } from "./errors.ts";
import type { RunsSource } from "./runs-source.ts";

export interface RunSummary {
  readonly id: string;
  readonly executionArn: string;
  readonly stateMachineName: string;
  readonly status: string;
  readonly startDate: string;
  readonly stopDate: string | null;
  readonly durationMs: number | null;
  readonly error: string | null;
  readonly cause: string | null;
}

/** Execution names as both Step Functions and the local runtime allow them. */
const RUN_ID = /^[\w.-]{1,80}$/;
const LIST_LIMIT = 25;

let chosen: RunsSource | undefined;

/** The source configured for this process. */
export async function runsSource(env: NodeJS.ProcessEnv = process.env): Promise<RunsSource> {
  if (chosen) return chosen;
  if (env.RUNS_SOURCE === "local" || (!env.RUNS_SOURCE && !env.STATE_MACHINE_ARN)) {
    const { LocalRunsSource } = await import("./runs-local.ts");
    chosen = new LocalRunsSource(env);
  } else {
    const arn = env.STATE_MACHINE_ARN;
    if (!arn) throw new SourceUnavailableError("Step Functions", new Error("STATE_MACHINE_ARN is not set"));
    const { StepFunctionsRunsSource } = await import("./runs-sfn.ts");
    chosen = new StepFunctionsRunsSource(arn);
  }
  return chosen;
}

export async function listRuns(source: RunsSource) {
  const runs = await read(() => source.list(LIST_LIMIT));
  return { runs: runs.map(summarize) };
}

export async function getRun(source: RunsSource, id: string) {
  if (!RUN_ID.test(id)) throw new NotFoundError(`no run "${id.slice(0, 80)}"`);
  const execution = await read(() => source.get(id));
  if (!execution) throw new NotFoundError(`no run "${id}"`);
  return {
    run: summarize(execution),
    input: execution.input ?? null,
    output: execution.output ?? null,
    states: summarizeStates(execution),
    events: execution.events.map(compactEvent),
  };
}

function summarize(e: Execution): RunSummary {
  const stop = e.stopDate ?? null;
  return {
    id: e.name,
    executionArn: e.executionArn,
    stateMachineName: e.stateMachineName,
    status: e.status,
    startDate: e.startDate,
    stopDate: stop,
    durationMs: stop ? Date.parse(stop) - Date.parse(e.startDate) : null,
    error: e.error ?? null,
    cause: e.cause ?? null,
  };
}

/** Events without their (possibly large) payloads: the page shows types, states and errors. */
function compactEvent(event: HistoryEvent) {
  const { input: _input, output: _output, ...rest } = event;
  return rest;
}

async function read<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof NotFoundError) throw error;
    throw new SourceUnavailableError("the run history", error);
  }
}
