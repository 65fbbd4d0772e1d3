/**
 * Execution history, kept on disk so it survives a restart of the runtime: one JSON file
 * per execution with its status, input/output, error and cause, and the state-by-state
 * events — what the Step Functions console shows, for `pipeline runs` and the dashboard.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isRunning } from "../services/processes.ts";

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
  /** pid of the process running it: a RUNNING execution whose process is gone was aborted. */
  readonly pid: number;
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

export class ExecutionHistory {
  private readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
    mkdirSync(dir, { recursive: true });
  }

  save(execution: Execution): void {
    // Write-then-rename: a reader (or a crash) never sees half a file.
    const path = this.path(execution.name);
    writeFileSync(`${path}.tmp`, JSON.stringify(execution));
    renameSync(`${path}.tmp`, path);
  }

  get(nameOrArn: string): Execution | undefined {
    const name = nameOrArn.includes(":") ? nameOrArn.slice(nameOrArn.lastIndexOf(":") + 1) : nameOrArn;
    const path = this.path(name);
    if (!existsSync(path)) return undefined;
    return this.reconcile(JSON.parse(readFileSync(path, "utf8")) as Execution);
  }

  /**
   * An execution by its name, its ARN or a prefix of its name that only one execution has
   * (names are long; people paste the first few characters). Undefined when none matches;
   * an ambiguous prefix is an error naming the candidates.
   */
  find(nameOrPrefix: string): Execution | undefined {
    const exact = this.get(nameOrPrefix);
    if (exact || nameOrPrefix.includes(":") || nameOrPrefix === "") return exact;
    const matches = readdirSync(this.dir)
      .filter((f) => f.endsWith(".json") && f.startsWith(nameOrPrefix))
      .map((f) => f.slice(0, -".json".length));
    if (matches.length > 1) {
      const shown = matches.slice(0, 5).join(", ");
      throw new AmbiguousRunError(
        `"${nameOrPrefix}" is the start of ${matches.length} runs (${shown}${matches.length > 5 ? ", …" : ""}): give more of the name`,
      );
    }
    return matches[0] === undefined ? undefined : this.get(matches[0]);
  }

  /** Newest first. */
  list(limit = 50): Execution[] {
    return readdirSync(this.dir)
      .filter((f) => f.endsWith(".json"))
      .map((f) => this.reconcile(JSON.parse(readFileSync(join(this.dir, f), "utf8")) as Execution))
      .sort((a, b) => b.startDate.localeCompare(a.startDate))
      .slice(0, limit);
  }

  private path(name: string): string {
    if (!/^[\w.-]+$/.test(name)) throw new Error(`invalid execution name "${name}"`);
    return join(this.dir, `${name}.json`);
  }

  /** A RUNNING execution whose process died is reported ABORTED (and recorded so). */
  private reconcile(execution: Execution): Execution {
    if (execution.status === "RUNNING" && !isRunning(execution.pid)) {
      execution.status = "ABORTED";
      execution.stopDate ??= new Date().toISOString();
      execution.error = "Runtime.Stopped";
      execution.cause = `the process running this execution (pid ${execution.pid}) stopped before it ended`;
      this.save(execution);
    }
    return execution;
  }
}

export class AmbiguousRunError extends Error {
  override name = "AmbiguousRunError";
}

export function summarizeStates(execution: Execution): StateSummary[] {
  const states: StateSummary[] = [];
  const open = new Map<string, StateSummary>();
  for (const event of execution.events) {
    if (!event.state) continue;
    const key = `${event.state}#${event.index ?? ""}`;
    if (event.type === "StateEntered") {
      const summary: StateSummary = {
        name: event.index === undefined ? event.state : `${event.state} [${event.index}]`,
        type: event.stateType ?? "",
        status: "RUNNING",
        enteredAt: event.timestamp,
        retries: 0,
      };
      states.push(summary);
      open.set(key, summary);
      continue;
    }
    const summary = open.get(key);
    if (!summary) continue;
    if (event.type === "StateRetried") {
      // Another attempt: the state is running again; its outcome is the last attempt's.
      summary.retries += 1;
      summary.status = "RUNNING";
    }
    if (event.type === "StateFailed") {
      summary.status = "FAILED";
      summary.error = event.error;
      summary.cause = event.cause;
    }
    if (event.type === "StateCaught") summary.status = "CAUGHT";
    if (event.type === "StateExited" || event.type === "StateFailed") {
      // The interpreter also reports a caught state as exited: it stays CAUGHT, with its error.
      if (event.type === "StateExited" && summary.status === "RUNNING") {
        summary.status = "SUCCEEDED";
        summary.error = undefined;
        summary.cause = undefined;
      }
      summary.exitedAt = event.timestamp;
      summary.durationMs = Date.parse(event.timestamp) - Date.parse(summary.enteredAt);
    }
  }
  return states;
}
