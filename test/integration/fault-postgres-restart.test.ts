/**
 * PostgreSQL stopped and started again while raw objects are being loaded: load-raw fails
 * while it is gone, the S3 trigger delivers those objects again, and the load manifest makes
 * every load count once — reconcile finds every record exactly once in the raw tables.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../core/config/index.ts";
import type { ProduceResult } from "../../core/producer/produce.ts";
import type { ReconcileReport } from "../../core/reconcile/index.ts";
import { readLoadManifest } from "../../core/reconcile/readers.ts";
import { RETRIED_NOTE } from "../../localstack/runtime/triggers/s3.ts";
import { down, servicesSettings, up } from "../../localstack/services/index.ts";
import { until } from "../fixtures/until.ts";
import {
  type FaultStack,
  itReconcilesExactly,
  produceElectionSlowly,
  reconcileJson,
  startFaultStack,
  waitUntilLoaded,
} from "./fault-harness.ts";

const VOTERS = 3_000;

describe("PostgreSQL restarted mid-load", () => {
  let stack: FaultStack;
  let produced: ProduceResult;
  let loadedAtStop = 0;
  let failedDeliveries = 0;
  let reconciled: { report: ReconcileReport; exitCode: number };

  beforeAll(async () => {
    // Prepare: the stack on its own services; an election produced in small batches, so
    // landing writes many objects and loading is under way when the fault comes.
    stack = await startFaultStack("fault-postgres", 25000);
    const producing = produceElectionSlowly(VOTERS, 22);

    // Act: once the first objects are loaded, stop PostgreSQL (fast shutdown, as
    // `services down` does), keep it down a few seconds, start it again on the same data.
    loadedAtStop = await until("the first loaded objects", async () => {
      const loaded = await readLoadManifest(loadConfig().postgres.url, "raw", "raw/").then(
        (manifest) => manifest.objects,
        () => 0,
      );
      return loaded > 0 ? loaded : undefined;
    });
    await down(servicesSettings(), ["postgres"]);
    await new Promise((r) => setTimeout(r, 3_000));
    await up(servicesSettings(), ["postgres"]);
    produced = await producing.done;
    await waitUntilLoaded(stack);
    failedDeliveries = stack.log.filter((line) => line.includes(RETRIED_NOTE)).length;
    reconciled = await reconcileJson();
    console.info(
      `PostgreSQL stopped with ${loadedAtStop} objects loaded; ${failedDeliveries} deliveries failed and were retried`,
    );
  }, 420_000);

  afterAll(async () => stack?.release());

  it("stopped PostgreSQL while objects were being loaded, and loads failed meanwhile", () => {
    // Assess
    expect(loadedAtStop).toBeGreaterThan(0);
    expect(failedDeliveries).toBeGreaterThan(0);
    expect(produced.invalid).toBe(0);
  });

  itReconcilesExactly(() => ({ produced, reconciled }));
});
