/**
 * The Kafka broker stopped and started again while an election is being produced and landed:
 * the idempotent producer and the runtime's consumer groups ride it out, and reconcile finds
 * every record exactly once (on its own services: the broker restart would disturb others).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ProduceResult } from "../../core/producer/produce.ts";
import type { ReconcileReport } from "../../core/reconcile/index.ts";
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

describe("Kafka broker restarted mid-stream", () => {
  let stack: FaultStack;
  let produced: ProduceResult;
  let producedAtStop = 0;
  let producedAtEnd = 0;
  let reconciled: { report: ReconcileReport; exitCode: number };

  beforeAll(async () => {
    // Prepare: the stack on its own services; an election produced slowly enough to be cut.
    stack = await startFaultStack();
    const producing = produceElectionSlowly(VOTERS, 21);

    // Act: once some records are acknowledged, stop the broker (SIGTERM, as `services down`
    // does), keep it down a few seconds, start it again on the same data directory.
    await until("the first acknowledged records", () =>
      producing.acknowledged() >= 1_000 ? true : undefined,
    );
    producedAtStop = producing.acknowledged();
    const stopping = Date.now();
    await down(servicesSettings(), ["kafka"]);
    await new Promise((r) => setTimeout(r, 3_000));
    await up(servicesSettings(), ["kafka"]);
    const outageMs = Date.now() - stopping;
    produced = await producing.done;
    console.info(
      `broker stopped after ${producedAtStop} acknowledged records, back after ${(outageMs / 1000).toFixed(1)} s`,
    );
    producedAtEnd = produced.produced;
    await waitUntilLoaded(stack);
    reconciled = await reconcileJson();
  }, 420_000);

  afterAll(async () => stack?.release());

  it("stopped the broker mid-stream", () => {
    // Assess
    expect(producedAtStop).toBeGreaterThan(0);
    expect(producedAtStop).toBeLessThan(producedAtEnd);
    expect(produced.invalid).toBe(0);
  });

  itReconcilesExactly(() => ({ produced, reconciled }));
});
