/**
 * The AWS emulator unreachable for a while mid-stream (S3 and SQS stop answering): landing
 * and loading wait or fail and retry, and once it answers again reconcile finds every record
 * exactly once.
 *
 * An outage, not a restart (fault-emulator-restart.test.ts has that): the process is frozen
 * (SIGSTOP) and thawed (SIGCONT), so connections are accepted and never answered, like a
 * network black hole — calls hang instead of failing fast, longer than the Kafka mappings'
 * session timeout.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../core/config/index.ts";
import type { ProduceResult } from "../../core/producer/produce.ts";
import type { ReconcileReport } from "../../core/reconcile/index.ts";
import { readConsumerLag } from "../../core/reconcile/readers.ts";
import { landingGroups } from "../../demo/wait-for-loaded.ts";
import { SESSION_TIMEOUT_MS } from "../../localstack/runtime/triggers/kafka.ts";
import { servicesSettings, status } from "../../localstack/services/index.ts";
import { processTree } from "../../localstack/services/processes.ts";
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
// Longer than the Kafka mappings' session timeout: the landing consumers wait that long on a
// frozen S3 call and must keep their group membership meanwhile.
const OUTAGE_MS = SESSION_TIMEOUT_MS + 10_000;

describe("AWS emulator (S3, SQS) unreachable mid-stream", () => {
  let stack: FaultStack;
  let afterRetries: AfterRetries;
  let produced: ProduceResult;
  let producedAtFreeze = 0;
  let lagAtThaw = 0;
  let reconciled: { report: ReconcileReport; exitCode: number };

  beforeAll(async () => {
    // Prepare: the stack on its own services; an election produced slowly enough to be cut.
    stack = await startFaultStack();
    const emulator = (await status(servicesSettings())).find((s) => s.name === "aws-emulator");
    const pids = processTree(emulator?.pid as number);
    const producing = produceElectionSlowly(VOTERS, 23);

    // Act: freeze the emulator once records flow, thaw it OUTAGE_MS later.
    await until("the first acknowledged records", () =>
      producing.acknowledged() >= 1_000 ? true : undefined,
    );
    producedAtFreeze = producing.acknowledged();
    for (const pid of pids) process.kill(pid, "SIGSTOP");
    try {
      await new Promise((r) => setTimeout(r, OUTAGE_MS));
      lagAtThaw = await landingLag(stack);
    } finally {
      for (const pid of pids) process.kill(pid, "SIGCONT");
    }
    produced = await producing.done;
    // Loads that failed every retry in the fault are the pipeline run's "load pending" step's, as in AWS.
    afterRetries = await loadWhatRetriesGaveUpOn(stack);
    await waitUntilLoaded(stack);
    reconciled = await reconcileJson();
  }, 420_000);

  afterAll(async () => stack?.release());

  it("froze the emulator mid-stream, and landing stalled meanwhile", () => {
    // Assess
    expect(producedAtFreeze).toBeGreaterThan(0);
    expect(producedAtFreeze).toBeLessThan(produced.produced);
    expect(lagAtThaw).toBeGreaterThan(0);
  });

  itLosesNothingToExhaustedRetries(() => afterRetries);

  itReconcilesExactly(() => ({ produced, reconciled }));
});

/** Records the landing consumer groups have not committed yet (Kafka only: works while S3 is frozen). */
async function landingLag(stack: FaultStack): Promise<number> {
  let lag = 0;
  for (const group of landingGroups(stack.runtime))
    lag += await readConsumerLag(loadConfig(), group.groupId, group.topics);
  return lag;
}
