/** Runs offline: the local runtime's execution history on disk (`<runtime dir>/executions`). */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ExecutionHistory } from "../../core/runs/local-history.ts";
import type { Execution } from "../../core/runs/types.ts";
import type { RunsSource } from "./runs-source.ts";

export class LocalRunsSource implements RunsSource {
  private readonly dir: string;

  constructor(env: NodeJS.ProcessEnv) {
    // The runtime's own rule (localstack/runtime/open.ts): PIPELINE_RUNTIME_DIR or .cache/runtime.
    const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
    this.dir = join(env.PIPELINE_RUNTIME_DIR ?? join(repoRoot, ".cache", "runtime"), "executions");
  }

  async list(limit: number): Promise<Execution[]> {
    return existsSync(this.dir) ? new ExecutionHistory(this.dir).list(limit) : [];
  }

  async get(id: string): Promise<Execution | undefined> {
    return existsSync(this.dir) ? new ExecutionHistory(this.dir).get(id) : undefined;
  }
}
