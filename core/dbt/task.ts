/**
 * The dbt Fargate task, natively: runs the image's own entrypoint (dbt/docker/entrypoint.sh)
 * with the native venv's `dbt` and `python` first on PATH, so the local runtime's ecs:runTask
 * does exactly what the container does — dbt, then run_results.json and manifest.json to
 * s3://<artifactsBucket>/dbt/<executionId>/ — and resolves with the same exit code.
 */
import { dirname, join } from "node:path";
import { type ProcessResult, runProcess } from "./process.ts";
import { DBT_PROJECT_DIR, dbtEnvironment, dbtExecutable } from "./run.ts";

type Env = Record<string, string | undefined>;

export const ENTRYPOINT = join(DBT_PROJECT_DIR, "docker", "entrypoint.sh");

export interface DbtTaskOptions {
  /** The container's command, e.g. ["build", "--target", "local"]. */
  readonly args: readonly string[];
  readonly artifactsBucket: string;
  /** Folder of the artifacts in the bucket (the Step Functions execution's name). */
  readonly executionId: string;
  /** Base environment (default process.env); the task's variables are added to it. */
  readonly env?: Env;
}

export type DbtTaskResult = ProcessResult;

/** Runs the task; resolves with the entrypoint's exit code (dbt's, or 3 when the upload failed). */
export function runDbtTask(options: DbtTaskOptions): Promise<DbtTaskResult> {
  const base = dbtEnvironment(options.env ?? process.env);
  const venvBin = dirname(dbtExecutable(base));
  const env: Env = {
    ...base,
    PATH: `${venvBin}:${base.PATH ?? ""}`,
    PYTHON: join(venvBin, "python"),
    ARTIFACTS_BUCKET: options.artifactsBucket,
    EXECUTION_ID: options.executionId,
  };
  return runProcess("sh", [ENTRYPOINT, ...options.args], { cwd: DBT_PROJECT_DIR, env });
}
