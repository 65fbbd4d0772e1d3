/**
 * A second, separate set of native services for tests that start from scratch, restart or
 * kill things: its own state dirs and ports (below 32768 — the ephemeral range, where an
 * outgoing connection may already hold a port), with this process's environment pointed at
 * it until `release()` puts everything back.
 */
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { closePostgresPools } from "../../core/warehouse/postgres/pool.ts";
import {
  clientEnv,
  dbtPaths,
  down,
  SEPARATE_SET_NAMES,
  servicesSettings,
  up,
} from "../../localstack/services/index.ts";

export interface SeparateServices {
  /** Where the local runtime keeps its history, logs and assembly (PIPELINE_RUNTIME_DIR). */
  readonly runtimeDir: string;
  readonly databaseUrl: string;
  /** Stops the services, restores the environment, removes the directories. */
  release(): Promise<void>;
}

/**
 * @param name a prefix for the temporary directories
 * @param portBase e.g. 29000 → Kafka 29092 (controller 29093), PostgreSQL 29432, emulator 29566;
 *   moved by TEST_PORT_SHIFT (0–400) when two checkouts run the integration files at once
 * @param start false when the code under test starts the services itself (the demo does)
 */
/** Added to every separate set's port base: the sets are 1000 apart and use +92…+567. */
export function testPortShift(): number {
  const shift = Number(process.env.TEST_PORT_SHIFT ?? 0);
  if (!Number.isInteger(shift) || shift < 0 || shift > 400) {
    throw new Error(`TEST_PORT_SHIFT must be an integer from 0 to 400, not ${process.env.TEST_PORT_SHIFT}`);
  }
  return shift;
}

export async function useSeparateServices(
  name: string,
  portBase: number,
  start = true,
): Promise<SeparateServices> {
  portBase += testPortShift();
  const stateDir = mkdtempSync(join(tmpdir(), `${name}-services-`));
  chmodSync(stateDir, 0o755); // PostgreSQL runs as its own user when we are root
  const runtimeDir = mkdtempSync(join(tmpdir(), `${name}-runtime-`));
  const saved = { ...process.env };
  Object.assign(process.env, {
    PIPELINE_SERVICES_DIR: stateDir,
    PIPELINE_RUNTIME_DIR: runtimeDir,
    KAFKA_PORT: String(portBase + 92),
    KAFKA_CONTROLLER_PORT: String(portBase + 93),
    PGPORT: String(portBase + 432),
    AWS_EMULATOR_PORT: String(portBase + 566),
    // dbt's target and logs of this set's runs, not the checkout's dbt/target (a bench may use it meanwhile).
    ...dbtPaths(runtimeDir),
  });
  const env = clientEnv(servicesSettings());
  Object.assign(process.env, env);
  if (start) await up(servicesSettings(), SEPARATE_SET_NAMES);
  return {
    runtimeDir,
    databaseUrl: env.DATABASE_URL ?? "",
    async release() {
      await closePostgresPools();
      await down(servicesSettings());
      process.env = saved;
      rmSync(runtimeDir, { recursive: true, force: true });
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
