/**
 * A pipeline run as both sides see it: the local runtime records its executions in this
 * shape, and the dashboard and the CLI read it from there offline or from Step Functions'
 * history in AWS (dashboard/api/runs-sfn.ts turns that into these events).
 */
export type ExecutionStatus = "RUNNING" | "SUCCEEDED" | "FAILED" | "ABORTED" | "TIMED_OUT";

export interface HistoryEvent {
  readonly id: number;
  readonly type: string;
  readonly timestamp: string;
  readonly state?: string;
  readonly stateType?: string;
  readonly input?: unknown;
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
  /** For Map iterations: the item index. */
  readonly index?: number;
  readonly retryAttempt?: number;
}

export interface Execution {
  readonly executionArn: string;
  readonly name: string;
  readonly stateMachineArn: string;
  readonly stateMachineName: string;
  status: ExecutionStatus;
  readonly startDate: string;
  stopDate?: string;
  readonly input: unknown;
  output?: unknown;
  error?: string;
  cause?: string;
  readonly events: HistoryEvent[];
}

/** Per-state summary (like the console's graph view): status, start, duration, retries. */
export interface StateSummary {
  readonly name: string;
  readonly type: string;
  status: "RUNNING" | "SUCCEEDED" | "FAILED" | "CAUGHT";
  readonly enteredAt: string;
  exitedAt?: string;
  durationMs?: number;
  retries: number;
  error?: string;
  cause?: string;
}
