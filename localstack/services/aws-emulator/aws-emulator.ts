/**
 * The offline AWS API emulator: moto in server mode (S3, SQS, DynamoDB, Step Functions,
 * Secrets Manager and more on one port), from its own pinned venv. Why moto and not
 * LocalStack's runtime: see localstack/README.md. moto keeps its state in memory; we log the
 * requests it serves and replay them after a restart (persistence.ts), so the state survives
 * `services down`/`up` like PostgreSQL's and Kafka's.
 *
 * Its port is not AWS's front door (the runtime's IAM gateway is): serve.py serves only
 * requests the gateway forwards (they carry the set's gateway secret, a 0600 file in the
 * emulator's state dir) and the operator's own (signed with the operator's key id: the CLI,
 * the tests' setup, the offline Snowflake, `aws --endpoint-url`); any other key — a sandbox's
 * session credentials above all — is refused as AWS refuses an unknown key.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { LOCAL_ACCOUNT, localAwsEnv } from "../../../core/config/index.ts";
import { httpOk } from "../health.ts";
import { PYTHON } from "../prerequisites.ts";
import { ensureVenv, venvAt } from "../python-venv.ts";
import type { ServiceDefinition } from "../service.ts";
import { type ServicesSettings, servicesSettings } from "../settings.ts";
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
    const secretFile = ensureGatewaySecret(ctx.dir);
    // The key id only (not a secret): who may call this port directly besides the gateway.
    const operator = localAwsEnv(process.env).AWS_ACCESS_KEY_ID as string;
    return {
      command: emulatorVenv(ctx.settings).bin("python"),
      args: [
        SERVE,
        "-H",
        "127.0.0.1",
        "-p",
        String(ctx.settings.ports.awsEmulator),
        "--gateway-secret-file",
        secretFile,
        "--operator-key-id",
        operator,
        ...replay,
      ],
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

/** The file holding the set's gateway secret (the header the gateway adds to what it forwards). */
export function gatewaySecretFile(settings: ServicesSettings = servicesSettings()): string {
  return join(settings.stateDir, "aws-emulator", "gateway-secret");
}

/** The set's gateway secret, or undefined while its emulator was never prepared (or is LocalStack). */
export function readGatewaySecret(settings: ServicesSettings = servicesSettings()): string | undefined {
  try {
    return readFileSync(gatewaySecretFile(settings), "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Created once per services set, 0600, and kept: a running gateway keeps working across restarts. */
function ensureGatewaySecret(dir: string): string {
  const file = join(dir, "gateway-secret");
  mkdirSync(dir, { recursive: true });
  if (!existsSync(file)) writeFileSync(file, `${randomBytes(32).toString("hex")}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}

/** The emulator's own venv (moto and its server), also for scripts that load serve.py. */
export function emulatorVenv(settings: ServicesSettings = servicesSettings()) {
  return venvAt(join(settings.cacheDir, "aws-emulator-venv"));
}

function installLog(settings: ServicesSettings) {
  return join(settings.cacheDir, "install-logs", "aws-emulator-pip.log");
}
