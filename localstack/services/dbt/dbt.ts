/**
 * dbt (core + the PostgreSQL and Snowflake adapters) in a venv built from dbt/requirements.txt,
 * the same file the Fargate image installs. No process: `up` only makes sure it is installed.
 */
import { join } from "node:path";
import { DBT_REQUIREMENTS, dbtVenvDir } from "../../../core/dbt/run.ts";
import { PYTHON } from "../prerequisites.ts";
import { ensureVenv, venvAt, venvIsCurrent } from "../python-venv.ts";
import type { ToolDefinition } from "../service.ts";
import type { ServicesSettings } from "../settings.ts";

export const dbtTool: ToolDefinition = {
  name: "dbt",
  prerequisites: [PYTHON],
  install: (s) => ensureVenv(venvDir(s), DBT_REQUIREMENTS, join(s.cacheDir, "install-logs", "dbt-pip.log")),
  describe: async (s) => ({
    location: venvAt(venvDir(s)).bin("dbt"),
    installed: await venvIsCurrent(venvDir(s), DBT_REQUIREMENTS),
  }),
};

/** core/dbt's rule (DBT_VENV, or the cache dir's dbt-venv), in these settings' cache dir. */
const venvDir = (settings: ServicesSettings) => dbtVenvDir(process.env, settings.cacheDir);
