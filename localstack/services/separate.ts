/**
 * A separate set of native services beside the shared one: its own state dirs and ports, with
 * this process's environment pointed at it until `release()` puts everything back. The
 * benchmark runs on one (a pristine state, and nothing it does touches the shared services);
 * tests that restart or kill services use the same mechanism.
 */
import { chmodSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { onInterrupt } from "../../core/process/interrupt.ts";
import { ServicesError } from "./errors.ts";
import { down, liveOwners, type UpResult, up } from "./lifecycle.ts";
import { SEPARATE_SET_NAMES } from "./registry.ts";
import { clientEnv, type ServicesSettings, servicesSettings } from "./settings.ts";

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
    ...dbtPaths(dirs.runtimeDir),
  };
  return { ...env, ...clientEnv(servicesSettings({ ...process.env, ...env })) };
}

/**
 * dbt's target and log directories under a set's runtime dir (DBT_TARGET_PATH, DBT_LOG_PATH):
 * the default, `dbt/target`, is one per checkout, and dbt runs of two sets at once would read
 * each other's manifest and run results.
 */
export function dbtPaths(runtimeDir: string): Record<string, string> {
  return { DBT_TARGET_PATH: join(runtimeDir, "dbt-target"), DBT_LOG_PATH: join(runtimeDir, "dbt-logs") };
}

export interface SeparateServicesOptions {
  /** false: the emulator logs no requests (a set removed at the end gains nothing from them). */
  readonly persistEmulatorState?: boolean;
  /** Ctrl-C and SIGTERM release the set (stop its services, remove its directories) before exiting. */
  readonly releaseOnInterrupt?: boolean;
}

/**
 * Starts a set in `<tmp>/pipeline-<name>-<portBase>/`: one directory per port base, so the next
 * run on those ports finds a set whose owner was killed (SIGKILL leaves it running) and stops
 * it, instead of failing on ports in use. A set whose owner still runs is left alone.
 * @param name a prefix for the directories
 * @param beforeDown runs before the services stop (e.g. to close connection pools)
 */
export async function startSeparateServices(
  name: string,
  portBase: number,
  beforeDown: () => Promise<void> = async () => {},
  options: SeparateServicesOptions = {},
): Promise<SeparateServices> {
  const root = separateSetRoot(name, portBase);
  const stateDir = join(root, "services");
  const runtimeDir = join(root, "runtime");
  const env = separateServicesEnv(portBase, { stateDir, runtimeDir }, options);
  const settings = servicesSettings({ ...process.env, ...env });
  await removeStaleSet(root, settings, portBase);
  mkdirSync(stateDir, { recursive: true });
  mkdirSync(runtimeDir, { recursive: true });
  // PostgreSQL runs as its own user when we are root: it must reach its cluster's directory.
  for (const dir of [root, stateDir]) chmodSync(dir, 0o755);
  const saved = { ...process.env };
  Object.assign(process.env, env);
  let releasing: Promise<void> | undefined;
  const release = () => {
    releasing ??= (async () => {
      unregister();
      await beforeDown();
      await down(settings);
      process.env = saved;
      rmSync(root, { recursive: true, force: true });
    })();
    return releasing;
  };
  const unregister = options.releaseOnInterrupt ? onInterrupt(release) : () => undefined;
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

export function separateSetRoot(name: string, portBase: number): string {
  return join(tmpdir(), `pipeline-${name}-${portBase}`);
}

/** Stops and removes a set left by an owner that is gone; refuses one whose owner still runs. */
async function removeStaleSet(root: string, settings: ServicesSettings, portBase: number): Promise<void> {
  if (!existsSync(root)) return;
  const [owner] = liveOwners(settings);
  if (owner) {
    throw new ServicesError(
      `ports ${portBase}+92/432/566 belong to \`${owner.command}\` (pid ${owner.pid}), which still runs; wait for it, or choose another port base`,
    );
  }
  await down(settings);
  rmSync(root, { recursive: true, force: true });
}
