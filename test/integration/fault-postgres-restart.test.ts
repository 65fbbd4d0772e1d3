/**
 * PostgreSQL stopped and started again while raw objects are being loaded: load-raw fails
 * while it is gone, and S3's asynchronous invocation retries those events as Lambda does (here
 * after 1 s and 2 s, the tests' knob, where AWS waits 1 and 2 minutes); an event whose
 * retries all fell in the outage goes to load-raw's on-failure queue, and the pipeline run's
 * "load pending" step loads its object — as in AWS. The load manifest makes every load count
 * once: reconcile finds every record exactly once in the raw tables.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../core/config/index.ts";
import type { ProduceResult } from "../../core/producer/produce.ts";
import type { ReconcileReport } from "../../core/reconcile/index.ts";
import { readLoadManifest } from "../../core/reconcile/readers.ts";
import { ASYNC_RETRY_BASE_ENV } from "../../localstack/runtime/functions/async-invoke.ts";
import { RETRIED_NOTE, RETRIES_EXHAUSTED_NOTE } from "../../localstack/runtime/triggers/s3.ts";
import { down, servicesSettings, up } from "../../localstack/services/index.ts";
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

// Retries after 1 s and 2 s (the harness's knob, shorter still): events that fail early in the
// outage exhaust theirs, later ones succeed on a retry — both of Lambda's paths in one run.
process.env[ASYNC_RETRY_BASE_ENV] = "1";

describe("PostgreSQL restarted mid-load", () => {
  let stack: FaultStack;
  let produced: ProduceResult;
  let loadedAtStop = 0;
  let failedDeliveries = 0;
  let exhausted = 0;
  let afterRetries: AfterRetries;
  let reconciled: { report: ReconcileReport; exitCode: number };

  beforeAll(async () => {
    // Prepare: the stack on its own services; an election produced in small batches, so
    // landing writes many objects and loading is under way when the fault comes.
    stack = await startFaultStack();
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
    afterRetries = await loadWhatRetriesGaveUpOn(stack);
    await waitUntilLoaded(stack);
    failedDeliveries = stack.log.filter((line) => line.includes(RETRIED_NOTE)).length;
    exhausted = stack.log.filter((line) => line.includes(RETRIES_EXHAUSTED_NOTE)).length;
    reconciled = await reconcileJson();
    console.info(
      `PostgreSQL stopped with ${loadedAtStop} objects loaded; ${failedDeliveries} attempts failed and were retried, ` +
        `${exhausted} events exhausted their retries; load-pending then loaded ${afterRetries.pending.loaded}`,
    );
  }, 420_000);

  afterAll(async () => stack?.release());

  it("stopped PostgreSQL while objects were being loaded, and loads failed meanwhile", () => {
    // Assess
    expect(loadedAtStop).toBeGreaterThan(0);
    expect(failedDeliveries).toBeGreaterThan(0);
    expect(produced.invalid).toBe(0);
  });

  itLosesNothingToExhaustedRetries(() => afterRetries);

  itReconcilesExactly(() => ({ produced, reconciled }));
});
