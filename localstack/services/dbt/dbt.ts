/**
 * dbt (core + the PostgreSQL and Snowflake adapters) in a venv built from dbt/requirements.txt,
 * the same file the Fargate image installs. No process: `up` only makes sure it is installed.
 */
import { join } from "node:path";
import { PYTHON } from "../prerequisites.ts";
import { ensureVenv, venvAt, venvIsCurrent } from "../python-venv.ts";
import type { ToolDefinition } from "../service.ts";
import type { ServicesSettings } from "../settings.ts";

const REQUIREMENTS = "dbt/requirements.txt";

export const dbtTool: ToolDefinition = {
  name: "dbt",
  prerequisites: [PYTHON],
  install: (s) =>
    ensureVenv(
      dbtVenvDir(s),
      join(s.repoRoot, REQUIREMENTS),
      join(s.cacheDir, "install-logs", "dbt-pip.log"),
    ),
  describe: async (s) => ({
    location: dbtExecutable(s),
    installed: await venvIsCurrent(dbtVenvDir(s), join(s.repoRoot, REQUIREMENTS)),
  }),
};

export function dbtVenvDir(settings: ServicesSettings): string {
  return join(settings.cacheDir, "dbt-venv");
}

/** The `dbt` executable of the project's venv (installed by `pipeline services up`). */
export function dbtExecutable(settings: ServicesSettings): string {
  return venvAt(dbtVenvDir(settings)).bin("dbt");
}
