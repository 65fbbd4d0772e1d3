/**
 * A second, separate set of native services for tests that start from scratch, restart or
 * kill things: its own state dirs and ports (below 32768 — the ephemeral range, where an
 * outgoing connection may already hold a port), with this process's environment pointed at
 * it until `release()` puts everything back.
 */
import { chmodSync, existsSync, mkdirSync, rmSync } from "node:fs";
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
import { currentLane, LANE_ENV } from "../tools/lanes.ts";

export interface SeparateServices {
  /** Where the local runtime keeps its history, logs and assembly (PIPELINE_RUNTIME_DIR). */
  readonly runtimeDir: string;
  readonly databaseUrl: string;
  /** Stops the services, restores the environment, removes the directories. */
  release(): Promise<void>;
}

/**
 * The port base of every separate set, moved by TEST_PORT_SHIFT (0–400) when two checkouts run
 * the integration files at once: 23000 → Kafka 23092 (controller 23093, MSK IAM 23096),
 * PostgreSQL 23432, emulator 23566. The files run one at a time, so they take turns on one set
 * of ports — and one set of endpoints is one `cdk synth` for all of them (synthLocal's cache).
 */
export const SEPARATE_SET_PORT_BASE = 23_000;

/**
 * The separate sets' port base for this checkout (SEPARATE_SET_PORT_BASE + TEST_PORT_SHIFT).
 * Only the `own` lane of `npm test` may use it (test/tools/lanes.ts puts every file importing
 * this module there): in the `shared` lane it would race the own lane's file on the same ports.
 */
export function separateSetPortBase(): number {
  if (currentLane() === "shared") {
    throw new Error(
      `a separate set's ports (${SEPARATE_SET_PORT_BASE} + TEST_PORT_SHIFT) in the shared lane (${LANE_ENV}=shared): ` +
        "test/tools/lanes.ts puts a file in the own lane only when it imports test/integration/separate-services.ts",
    );
  }
  return SEPARATE_SET_PORT_BASE + testPortShift();
}

/**
 * @param start false when the code under test starts the services itself (the demo does)
 */
export async function useSeparateServices(start = true): Promise<SeparateServices> {
  const portBase = separateSetPortBase();
  const root = join(tmpdir(), `pipeline-test-set-${portBase}`);
  const stateDir = join(root, "services");
  const runtimeDir = join(root, "runtime");
  // Every port of the set (Kafka's controller and MSK IAM listener too: a port inherited from
  // the tests' own set would clash) and dbt's target and logs, not the checkout's dbt/target.
  const env = separateServicesEnv(portBase, { stateDir, runtimeDir });
  // A set an earlier file could not release (its afterAll timed out) still holds the ports.
  if (existsSync(root)) await down(servicesSettings({ ...process.env, ...env }));
  rmSync(root, { recursive: true, force: true });
  mkdirSync(stateDir, { recursive: true });
  mkdirSync(runtimeDir, { recursive: true });
  for (const dir of [root, stateDir]) chmodSync(dir, 0o755); // PostgreSQL runs as its own user when we are root
  const saved = { ...process.env };
  Object.assign(process.env, env);
  if (start) await up(servicesSettings(), SEPARATE_SET_NAMES);
  return {
    runtimeDir,
    databaseUrl: env.DATABASE_URL ?? "",
    async release() {
      await closePostgresPools();
      await down(servicesSettings());
      process.env = saved;
      rmSync(root, { recursive: true, force: true });
    },
  };
}
