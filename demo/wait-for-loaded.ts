/**
 * Waiting until the local runtime has landed and loaded everything produced: every landing
 * consumer group caught up and every raw object in the warehouse. The demo and the
 * integration tests wait this way.
 */
import { loadConfig } from "../core/config/index.ts";
import { datasets } from "../core/datasets/index.ts";
import { createKafka } from "../core/kafka/client.ts";
import { listKeys } from "../core/lake/list-keys.ts";
import { readConsumerLag, readLoadManifest } from "../core/reconcile/readers.ts";
import { DEFAULT_RAW_SCHEMA } from "../core/warehouse/raw-tables.ts";
import type { LocalRuntime } from "../localstack/runtime/runtime.ts";

/** A consumer group and the topics it consumes. */
export interface ConsumerGroup {
  readonly groupId: string;
  readonly topics: readonly string[];
}

/** The consumer groups the runtime runs for the dataset topics (the template's, one per mapping). */
export function landingGroups(runtime: LocalRuntime): ConsumerGroup[] {
  const datasetTopics = new Set(datasets.flatMap((d) => d.topics.map((t) => t.topic)));
  return runtime.kafkaMappings
    .map((m) => m.spec)
    .filter((spec) => spec.topics.some((t) => datasetTopics.has(t)));
}

/** Until every landing consumer group has committed everything and every raw object is loaded. */
export async function waitForLoaded(
  landing: readonly ConsumerGroup[],
  timeoutMs: number,
  log: (line: string) => void,
): Promise<void> {
  const config = loadConfig();
  const deadline = Date.now() + timeoutMs;
  let lastReport = Date.now();
  for (;;) {
    // A topic nobody created yet has nothing to land; a
    // broker that doesn't answer yet isn't ready.
    const existing = await existingTopics().catch(() => undefined);
    let lag = existing ? 0 : 1;
    for (const spec of landing.filter((g) => g.topics.every((t) => existing?.includes(t)))) {
      // A fresh broker answers "coordinator not available" for a while: not ready yet.
      lag += await readConsumerLag(config, spec.groupId, spec.topics).catch(() => 1);
    }
    const rawObjects = (await listKeys(config.buckets.raw, "raw/")).length;
    // PostgreSQL may be restarting: count nothing loaded yet and ask again.
    const loaded = await readLoadManifest(config.postgres.url, DEFAULT_RAW_SCHEMA, "raw/").then(
      (manifest) => manifest.objects,
      () => 0,
    );
    if (lag === 0 && loaded >= rawObjects) {
      log(`    every record landed, ${loaded}/${rawObjects} objects loaded`);
      return;
    }
    if (Date.now() - lastReport > 10_000) {
      log(`    ${lag} records not landed yet, ${loaded}/${rawObjects} objects loaded`);
      lastReport = Date.now();
    }
    if (Date.now() > deadline) {
      throw new Error(
        `landing/loading did not finish in ${timeoutMs / 1000} s (lag ${lag}, ${loaded}/${rawObjects} objects loaded)`,
      );
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

async function existingTopics(): Promise<string[]> {
  const admin = createKafka(loadConfig().kafka, "-topics").admin();
  await admin.connect();
  try {
    return await admin.listTopics();
  } finally {
    await admin.disconnect();
  }
}
