/**
 * The Kafka broker stopped and started again while an election is being produced and landed:
 * the idempotent producer and the runtime's consumer groups ride it out, and reconcile finds
 * every record exactly once (on its own services: the broker restart would disturb others).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ProduceResult } from "../../core/producer/produce.ts";
import type { ReconcileReport } from "../../core/reconcile/index.ts";
import { down, servicesSettings, up } from "../../localstack/services/index.ts";
import {
  exactRows,
  type FaultStack,
  produceElection,
  reconcileJson,
  startFaultStack,
  until,
  verdictRows,
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
    stack = await startFaultStack("fault-kafka", 24000);
    let acknowledged = 0;
    const producing = produceElection(VOTERS, 21, {
      rate: 1_000,
      batchSize: 200,
      onProgress: (p) => {
        acknowledged = p.produced;
      },
    });

    // Act: once some records are acknowledged, stop the broker (SIGTERM, as `services down`
    // does), keep it down a few seconds, start it again on the same data directory.
    await until("the first acknowledged records", () => (acknowledged >= 1_000 ? true : undefined));
    producedAtStop = acknowledged;
    const stopping = Date.now();
    await down(servicesSettings(), ["kafka"]);
    await new Promise((r) => setTimeout(r, 3_000));
    await up(servicesSettings(), ["kafka"]);
    const outageMs = Date.now() - stopping;
    produced = await producing;
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

  it("reconciles exactly: every produced record once in the raw tables, none lost or duplicated", () => {
    // Assess
    expect(verdictRows(reconciled.report)).toEqual(exactRows(produced));
    expect(reconciled.report.reconciled).toBe(true);
    expect(reconciled.exitCode).toBe(0);
  });
});
