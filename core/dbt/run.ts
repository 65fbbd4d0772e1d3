/**
 * Runs the project's dbt (dbt/ in this repository) from the native Python environment, with
 * the connection taken from the same configuration every other part reads (`loadConfig`).
 * Used by `npx pipeline dbt …`, the tests, and the local runtime's emulation of the Fargate task.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadConfig } from "../config/index.ts";
import { DbtNotInstalledError } from "./errors.ts";
import { type ProcessResult, runProcess } from "./process.ts";

type Env = Record<string, string | undefined>;

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** The dbt project, which also holds `profiles.yml`. */
export const DBT_PROJECT_DIR = join(REPO_ROOT, "dbt");

/** dbt's Python packages: the native venv and the Fargate image (dbt/Dockerfile) both install this file. */
export const DBT_REQUIREMENTS = join(DBT_PROJECT_DIR, "requirements.txt");

/**
 * The one rule for where dbt's venv is: DBT_VENV, or `dbt-venv` in the cache dir
 * (`$PIPELINE_CACHE_DIR`, default `.cache`). `services up` builds it there from
 * dbt/requirements.txt; everything that runs dbt looks there.
 */
export function dbtVenvDir(
  env: Env = process.env,
  cacheDir: string = env.PIPELINE_CACHE_DIR || join(REPO_ROOT, ".cache"),
): string {
  return env.DBT_VENV || join(cacheDir, "dbt-venv");
}

export interface DbtRunOptions {
  /** Environment to run with (default: process.env); the connection is derived from it. */
  readonly env?: Env;
  /** "inherit" streams dbt's output to this terminal; "pipe" (default) collects it. */
  readonly stdio?: "inherit" | "pipe";
}

/** exitCode: 0 success, 1 a model or test failed, 2 dbt itself failed. */
export type DbtRunResult = ProcessResult;

/** The venv's `dbt` executable; throws DbtNotInstalledError when the venv is missing. */
export function dbtExecutable(env: Env = process.env): string {
  const executable = join(dbtVenvDir(env), "bin", "dbt");
  if (!existsSync(executable)) {
    throw new DbtNotInstalledError(
      `dbt is not installed at ${executable}: run \`npx pipeline services up\` (or set DBT_VENV to a venv with dbt/requirements.txt).`,
    );
  }
  return executable;
}

/**
 * The environment dbt runs with: the project and profiles directories, and the PostgreSQL
 * connection of `loadConfig` (DATABASE_URL or PG*) as the PG* variables profiles.yml reads.
 */
export function dbtEnvironment(env: Env = process.env): Env {
  // loadConfig builds the URL from PG* unless DATABASE_URL is set, so this is right either way.
  const url = new URL(loadConfig(env).postgres.url);
  return {
    ...env,
    ...connectionFrom(url),
    DBT_PROJECT_DIR: env.DBT_PROJECT_DIR ?? DBT_PROJECT_DIR,
    DBT_PROFILES_DIR: env.DBT_PROFILES_DIR ?? DBT_PROJECT_DIR,
    // No usage pings from a data platform's jobs.
    DBT_SEND_ANONYMOUS_USAGE_STATS: env.DBT_SEND_ANONYMOUS_USAGE_STATS ?? "false",
  };
}

function connectionFrom(url: URL): Env {
  return {
    PGHOST: url.hostname,
    PGPORT: url.port || "5432",
    PGUSER: decodeURIComponent(url.username),
    PGPASSWORD: decodeURIComponent(url.password),
    PGDATABASE: url.pathname.replace(/^\//, ""),
  };
}

/** Runs `dbt <args>` in the project directory; resolves with dbt's exit code (never rejects on it). */
export function runDbt(args: readonly string[], options: DbtRunOptions = {}): Promise<DbtRunResult> {
  const env = dbtEnvironment(options.env ?? process.env);
  return runProcess(dbtExecutable(env), args, { cwd: DBT_PROJECT_DIR, env, stdio: options.stdio });
}
