/**
 * The offline AWS API emulator: moto in server mode (S3, SQS, DynamoDB, Step Functions,
 * Secrets Manager and more on one port), from its own pinned venv. Why moto and not
 * LocalStack's runtime: see localstack/README.md. State is in memory: a restart empties it.
 */
import { join } from "node:path";
import { httpOk } from "../health.ts";
import { PYTHON } from "../prerequisites.ts";
import { ensureVenv, venvAt } from "../python-venv.ts";
import type { ServiceDefinition } from "../service.ts";
import type { ServicesSettings } from "../settings.ts";

const REQUIREMENTS = "localstack/services/aws-emulator/requirements.txt";

export const awsEmulatorService: ServiceDefinition = {
  name: "aws-emulator",
  prerequisites: [PYTHON],
  port: (s) => s.ports.awsEmulator,
  portVariable: "AWS_EMULATOR_PORT",
  endpoint: (s) => `http://127.0.0.1:${s.ports.awsEmulator}`,
  install: async (s) => {
    await ensureVenv(emulatorVenv(s).dir, join(s.repoRoot, REQUIREMENTS), installLog(s));
  },
  prepare: async (ctx) => ({
    command: emulatorVenv(ctx.settings).bin("moto_server"),
    args: ["-H", "127.0.0.1", "-p", String(ctx.settings.ports.awsEmulator)],
    cwd: ctx.dir,
    env: { PYTHONUNBUFFERED: "1" },
  }),
  markers: (ctx) => ["moto_server", `-p ${ctx.settings.ports.awsEmulator} `],
  // moto's own API answers once the server serves requests.
  healthy: (ctx) => httpOk(`http://127.0.0.1:${ctx.settings.ports.awsEmulator}/moto-api/data.json`),
  stopSignal: "SIGTERM",
  startTimeoutMs: 60_000,
};

function emulatorVenv(settings: ServicesSettings) {
  return venvAt(join(settings.cacheDir, "aws-emulator-venv"));
}

function installLog(settings: ServicesSettings) {
  return join(settings.cacheDir, "install-logs", "aws-emulator-pip.log");
}
