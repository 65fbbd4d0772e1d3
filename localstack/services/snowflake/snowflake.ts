/**
 * The offline Snowflake: fakesnow's server (DuckDB underneath) from its own pinned venv,
 * wrapped by serve.py so that snowflake-sdk for Node, dbt-snowflake and our COPY INTO work
 * against it (what the wrapper adds, and why: serve.py). Its databases are files in the
 * state dir, so they survive `services down`/`up`. Test and offline use only: nothing here
 * goes into the Fargate image. What it cannot show: docs/ARCHITECTURE.md.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { localAwsEnv } from "../../../core/config/index.ts";
import { tcpOpen } from "../health.ts";
import { PYTHON } from "../prerequisites.ts";
import { ensureVenv, venvAt } from "../python-venv.ts";
import type { ServiceDefinition } from "../service.ts";
import type { ServicesSettings } from "../settings.ts";

const REQUIREMENTS = "localstack/services/snowflake/requirements.txt";
const SERVE = fileURLToPath(new URL("./serve.py", import.meta.url));
/** The account name clients give; fakesnow accepts any (it checks no credentials). */
export const SNOWFLAKE_EMULATOR_ACCOUNT = "fakesnow";

export const snowflakeService: ServiceDefinition = {
  name: "snowflake",
  prerequisites: [PYTHON],
  port: (s) => s.ports.snowflake,
  portVariable: "SNOWFLAKE_EMULATOR_PORT",
  endpoint: (s) => `http://127.0.0.1:${s.ports.snowflake}`,
  install: async (s) => {
    await ensureVenv(
      snowflakeVenv(s).dir,
      join(s.repoRoot, REQUIREMENTS),
      join(s.cacheDir, "install-logs", "snowflake-pip.log"),
    );
  },
  prepare: async (ctx) => ({
    command: snowflakeVenv(ctx.settings).bin("python"),
    args: [
      SERVE,
      "--host",
      "127.0.0.1",
      "--port",
      String(ctx.settings.ports.snowflake),
      "--data",
      join(ctx.dir, "databases"),
    ],
    cwd: ctx.dir,
    // Files of an s3:// stage come from the emulator, as the operator (Snowflake's storage
    // integration is not emulated): the operator's key, which the emulator's port serves.
    env: {
      PYTHONUNBUFFERED: "1",
      ...localAwsEnv({
        AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID,
        AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY,
        AWS_ENDPOINT_URL: `http://127.0.0.1:${ctx.settings.ports.awsEmulator}`,
      }),
    },
  }),
  markers: (ctx) => [SERVE, `--port ${ctx.settings.ports.snowflake} `],
  healthy: (ctx) => tcpOpen(ctx.settings.ports.snowflake),
  stopSignal: "SIGTERM",
  startTimeoutMs: 60_000,
};

function snowflakeVenv(settings: ServicesSettings) {
  return venvAt(join(settings.cacheDir, "snowflake-venv"));
}
