/**
 * A separate set of native services beside the shared one: its own state dirs and ports, with
 * this process's environment pointed at it until `release()` puts everything back. The
 * benchmark runs on one (a pristine state, and nothing it does touches the shared services);
 * tests that restart or kill services use the same mechanism.
 */
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { down, type UpResult, up } from "./lifecycle.ts";
import { SEPARATE_SET_NAMES } from "./registry.ts";
import { clientEnv, servicesSettings } from "./settings.ts";

export interface SeparateServices {
  /** Where the local runtime keeps its history, logs and assembly (PIPELINE_RUNTIME_DIR). */
  readonly runtimeDir: string;
  readonly databaseUrl: string;
  /** The main process of each service (by name: kafka, postgres, aws-emulator). */
  readonly pids: Readonly<Record<string, number>>;
  /** Stops the services, restores the environment, removes the directories. */
  release(): Promise<void>;
}

/**
 * The environment of a separate set: ports from `portBase` (below 32768 — the ephemeral range,
 * where an outgoing connection may already hold a port) and the state directories.
 * e.g. 21000 → Kafka 21092 (controller 21093, MSK IAM listener 21096), PostgreSQL 21432, emulator 21566.
 */
export function separateServicesEnv(
  portBase: number,
  dirs: { stateDir: string; runtimeDir: string },
  options: SeparateServicesOptions = {},
): Record<string, string> {
  const env = {
    AWS_EMULATOR_PERSIST: options.persistEmulatorState === false ? "0" : "1",
    PIPELINE_SERVICES_DIR: dirs.stateDir,
    PIPELINE_RUNTIME_DIR: dirs.runtimeDir,
    KAFKA_PORT: String(portBase + 92),
    KAFKA_CONTROLLER_PORT: String(portBase + 93),
    KAFKA_IAM_PORT: String(portBase + 96),
    PGPORT: String(portBase + 432),
    AWS_EMULATOR_PORT: String(portBase + 566),
  };
  return { ...env, ...clientEnv(servicesSettings({ ...process.env, ...env })) };
}

export interface SeparateServicesOptions {
  /** false: the emulator logs no requests (a set removed at the end gains nothing from them). */
  readonly persistEmulatorState?: boolean;
}

/**
 * @param name a prefix for the temporary directories
 * @param beforeDown runs before the services stop (e.g. to close connection pools)
 */
export async function startSeparateServices(
  name: string,
  portBase: number,
  beforeDown: () => Promise<void> = async () => {},
  options: SeparateServicesOptions = {},
): Promise<SeparateServices> {
  const stateDir = mkdtempSync(join(tmpdir(), `${name}-services-`));
  chmodSync(stateDir, 0o755); // PostgreSQL runs as its own user when we are root
  const runtimeDir = mkdtempSync(join(tmpdir(), `${name}-runtime-`));
  const saved = { ...process.env };
  const env = separateServicesEnv(portBase, { stateDir, runtimeDir }, options);
  Object.assign(process.env, env);
  const release = async () => {
    await beforeDown();
    await down(servicesSettings());
    process.env = saved;
    rmSync(runtimeDir, { recursive: true, force: true });
    rmSync(stateDir, { recursive: true, force: true });
  };
  let started: UpResult[];
  try {
    started = await up(servicesSettings(), SEPARATE_SET_NAMES);
  } catch (error) {
    await release().catch(() => undefined);
    throw error;
  }
  const pids = Object.fromEntries(started.flatMap((s) => (s.pid ? [[s.name, s.pid]] : [])));
  return { runtimeDir, databaseUrl: env.DATABASE_URL ?? "", pids, release };
}
