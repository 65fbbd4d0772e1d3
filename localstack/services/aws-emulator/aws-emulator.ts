/**
 * The offline AWS API emulator: moto in server mode (S3, SQS, DynamoDB, Step Functions,
 * Secrets Manager and more on one port), from its own pinned venv. Why moto and not
 * LocalStack's runtime: see localstack/README.md. moto keeps its state in memory; we log the
 * requests it serves and replay them after a restart (persistence.ts), so the state survives
 * `services down`/`up` like PostgreSQL's and Kafka's.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { LOCAL_ACCOUNT } from "../../../core/config/index.ts";
import { httpOk } from "../health.ts";
import { PYTHON } from "../prerequisites.ts";
import { ensureVenv, venvAt } from "../python-venv.ts";
import type { ServiceDefinition } from "../service.ts";
import type { ServicesSettings } from "../settings.ts";
import { compactRecording, recordingEnv, recordingFile } from "./persistence.ts";

const REQUIREMENTS = "localstack/services/aws-emulator/requirements.txt";
/** moto's server, its state restored first (see serve.py). */
const SERVE = fileURLToPath(new URL("./serve.py", import.meta.url));

export const awsEmulatorService: ServiceDefinition = {
  name: "aws-emulator",
  prerequisites: [PYTHON],
  port: (s) => s.ports.awsEmulator,
  portVariable: "AWS_EMULATOR_PORT",
  endpoint: (s) => `http://127.0.0.1:${s.ports.awsEmulator}`,
  install: async (s) => {
    await ensureVenv(emulatorVenv(s).dir, join(s.repoRoot, REQUIREMENTS), installLog(s));
  },
  prepare: async (ctx) => {
    const persist = ctx.settings.persistEmulatorState;
    const recording = recordingFile(ctx.dir);
    const replay = persist && compactRecording(recording) > 0 ? ["--replay", recording] : [];
    return {
      command: emulatorVenv(ctx.settings).bin("python"),
      args: [SERVE, "-H", "127.0.0.1", "-p", String(ctx.settings.ports.awsEmulator), ...replay],
      cwd: ctx.dir,
      env: {
        PYTHONUNBUFFERED: "1",
        MOTO_ACCOUNT_ID: LOCAL_ACCOUNT,
        ...(persist ? recordingEnv(recording) : {}),
      },
    };
  },
  markers: (ctx) => [SERVE, `-p ${ctx.settings.ports.awsEmulator} `],
  // moto's own API answers once the server serves requests (after any replay).
  // serve.py's own route: moto's data.json dumps the whole state, slower as it grows.
  healthy: (ctx) => httpOk(`http://127.0.0.1:${ctx.settings.ports.awsEmulator}/_pipeline/health`),
  stopSignal: "SIGTERM",
  startTimeoutMs: 60_000,
};

function emulatorVenv(settings: ServicesSettings) {
  return venvAt(join(settings.cacheDir, "aws-emulator-venv"));
}

function installLog(settings: ServicesSettings) {
  return join(settings.cacheDir, "install-logs", "aws-emulator-pip.log");
}
