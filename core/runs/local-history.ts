/**
 * The local runtime's execution history, kept on disk so it survives a restart of the
 * runtime: one JSON file per execution with its status, input/output, error and cause, and
 * the state-by-state events — what the Step Functions console shows. The runtime writes it;
 * `pipeline runs` and the dashboard's local runs source read it.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PipelineError } from "../errors.ts";
import { isRunning } from "../process/is-running.ts";
import type { Execution } from "./types.ts";

/** An execution as the local runtime records it. */
export interface LocalExecution extends Execution {
  /** pid of the process running it: a RUNNING execution whose process is gone was aborted. */
  readonly pid: number;
}

export class ExecutionHistory {
  private readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
    mkdirSync(dir, { recursive: true });
  }

  save(execution: LocalExecution): void {
    // Write-then-rename: a reader (or a crash) never sees half a file.
    const path = this.path(execution.name);
    writeFileSync(`${path}.tmp`, JSON.stringify(execution));
    renameSync(`${path}.tmp`, path);
  }

  get(nameOrArn: string): LocalExecution | undefined {
    const name = nameOrArn.includes(":") ? nameOrArn.slice(nameOrArn.lastIndexOf(":") + 1) : nameOrArn;
    const path = this.path(name);
    if (!existsSync(path)) return undefined;
    return this.reconcile(JSON.parse(readFileSync(path, "utf8")) as LocalExecution);
  }

  /**
   * An execution by its name, its ARN or a prefix of its name that only one execution has
   * (names are long; people paste the first few characters). Undefined when none matches;
   * an ambiguous prefix is an error naming the candidates.
   */
  find(nameOrPrefix: string): LocalExecution | undefined {
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
  list(limit = 50): LocalExecution[] {
    return readdirSync(this.dir)
      .filter((f) => f.endsWith(".json"))
      .map((f) => this.reconcile(JSON.parse(readFileSync(join(this.dir, f), "utf8")) as LocalExecution))
      .sort((a, b) => b.startDate.localeCompare(a.startDate))
      .slice(0, limit);
  }

  private path(name: string): string {
    if (!/^[\w.-]+$/.test(name)) throw new Error(`invalid execution name "${name}"`);
    return join(this.dir, `${name}.json`);
  }

  /** A RUNNING execution whose process died is reported ABORTED (and recorded so). */
  private reconcile(execution: LocalExecution): LocalExecution {
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

export class AmbiguousRunError extends PipelineError {}
