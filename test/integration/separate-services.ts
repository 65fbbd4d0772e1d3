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
  down,
  SEPARATE_SET_NAMES,
  separateServicesEnv,
  servicesSettings,
  up,
} from "../../localstack/services/index.ts";
import { testPortShift } from "../fixtures/test-services.ts";

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
  // Every port of the set (Kafka's controller and MSK IAM listener too: a port inherited from
  // the tests' own set would clash) and dbt's target and logs, not the checkout's dbt/target.
  const env = separateServicesEnv(portBase, { stateDir, runtimeDir });
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
