/**
 * The AWS emulator stopped and started again mid-stream (`services down aws-emulator`, then
 * `up`): it comes back with its state (the request log replayed before its port opens, see
 * localstack/services/aws-emulator/persistence.ts), the functions' failed calls are retried,
 * and reconcile finds every record exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resetAwsClients } from "../../core/aws/clients.ts";
import { loadConfig } from "../../core/config/index.ts";
import { listKeys } from "../../core/lake/list-keys.ts";
import type { ProduceResult } from "../../core/producer/produce.ts";
import type { ReconcileReport } from "../../core/reconcile/index.ts";
import { down, servicesSettings, status, up } from "../../localstack/services/index.ts";
import { until } from "../fixtures/until.ts";
import {
  type AfterRetries,
  type FaultStack,
  itLosesNothingToExhaustedRetries,
  itReconcilesExactly,
  loadWhatRetriesGaveUpOn,
  produceElectionSlowly,
  reconcileJson,
  startFaultStack,
  waitUntilLoaded,
} from "./fault-harness.ts";

const VOTERS = 3_000;

describe("AWS emulator restarted mid-stream", () => {
  let stack: FaultStack;
  let afterRetries: AfterRetries;
  let produced: ProduceResult;
  let producedAtStop = 0;
  let pidBefore: number | undefined;
  let pidAfter: number | undefined;
  let rawBefore: string[] = [];
  let rawAfterRestart: string[] = [];
  let reconciled: { report: ReconcileReport; exitCode: number };

  beforeAll(async () => {
    // Prepare: the stack on its own services; an election produced slowly enough to be cut.
    stack = await startFaultStack();
    const producing = produceElectionSlowly(VOTERS, 29);

    // Act: once objects have landed, stop the emulator and start it again on the same state dir.
    await until("the first landed objects", async () =>
      (await rawKeys()).length > 0 && producing.acknowledged() >= 1_000 ? true : undefined,
    );
    producedAtStop = producing.acknowledged();
    pidBefore = await emulatorPid();
    rawBefore = await rawKeys();
    const stopping = Date.now();
    await down(servicesSettings(), ["aws-emulator"]);
    await up(servicesSettings(), ["aws-emulator"]);
    const outageMs = Date.now() - stopping;
    resetAwsClients(); // this process's clients held connections to the old process
    pidAfter = await emulatorPid();
    rawAfterRestart = await rawKeys();
    produced = await producing.done;
    console.info(
      `emulator stopped after ${producedAtStop} acknowledged records and ${rawBefore.length} raw objects, ` +
        `back after ${(outageMs / 1000).toFixed(1)} s with ${rawAfterRestart.length}`,
    );
    // Loads that failed every retry in the fault are the pipeline run's "load pending" step's, as in AWS.
    afterRetries = await loadWhatRetriesGaveUpOn(stack);
    await waitUntilLoaded(stack);
    reconciled = await reconcileJson();
  }, 420_000);

  afterAll(async () => stack?.release());

  it("restarted the emulator process mid-stream", () => {
    // Assess
    expect(pidBefore).toBeDefined();
    expect(pidAfter).toBeDefined();
    expect(pidAfter).not.toBe(pidBefore);
    expect(producedAtStop).toBeLessThan(produced.produced);
  });

  it("came back with every object the lake held before the stop", () => {
    // Assess
    expect(rawAfterRestart).toEqual(expect.arrayContaining(rawBefore));
  });

  itLosesNothingToExhaustedRetries(() => afterRetries);

  itReconcilesExactly(() => ({ produced, reconciled }));
});

async function emulatorPid(): Promise<number | undefined> {
  return (await status(servicesSettings())).find((s) => s.name === "aws-emulator")?.pid;
}

/** Every key under raw/ in the landing bucket. */
function rawKeys(): Promise<string[]> {
  return listKeys(loadConfig().buckets.raw, "raw/");
}
