/**
 * Waiting until the local runtime has landed and loaded everything produced: every landing
 * consumer group caught up and every landed batch in the warehouse. The demo and the
 * integration tests wait this way.
 */
import { loadConfig } from "../core/config/index.ts";
import { datasets } from "../core/datasets/index.ts";
import { createKafka } from "../core/kafka/client.ts";
import { parseBatchKey, RAW_PREFIX } from "../core/lake/keys.ts";
import { listKeys } from "../core/lake/list-keys.ts";
import { readConsumerLag } from "../core/reconcile/readers.ts";
import { DEFAULT_RAW_SCHEMA, rawTables } from "../core/warehouse/raw-tables.ts";
import { unloadedKeys, warehouseTarget } from "../core/warehouse/target.ts";
import type { LocalRuntime } from "../localstack/runtime/runtime.ts";

/** A consumer group and the topics it consumes. */
export interface ConsumerGroup {
  readonly groupId: string;
  readonly topics: readonly string[];
}

/**
 * land-records' consumer groups (the template's, one per dataset topic). Only landing is waited
 * for: the aggregate's groups read some of the same topics, but the warehouse does not wait on
 * the live totals (after `npm test` the aggregate has a backlog of the tests' votes to apply).
 */
export function landingGroups(runtime: LocalRuntime): ConsumerGroup[] {
  // By the function, not the group id: the environment name in the group id comes from the
  // CDK context the runtime was synthesized with, which a caller may set.
  const datasetTopics = datasets.flatMap((d) => d.topics.map((t) => t.topic));
  return runtime.kafkaMappings
    .map((m) => m.spec)
    .filter(
      (spec) =>
        spec.functionName.endsWith("-land-records") && spec.topics.some((t) => datasetTopics.includes(t)),
    );
}

export interface WaitOptions {
  /**
   * Landed batches not to wait for: those already in the lake before this run produced (an
   * earlier run's, or a test's), which the pipeline run's "load pending" step takes care of.
   */
  readonly exceptKeys?: ReadonlySet<string>;
}

/**
 * The keys of the landed batches in the raw bucket that load-raw loads: `raw/<dataset>/<entity>/…`
 * of a declared raw table. Anything else under raw/ is not ours to load (load-pending skips it too).
 */
export async function landedBatchKeys(): Promise<string[]> {
  const tables = rawTables();
  const keys = await listKeys(loadConfig().buckets.raw, RAW_PREFIX);
  return keys.filter((key) => {
    const parsed = parseBatchKey(key);
    return (
      parsed?.area === "raw" && tables.some((t) => t.dataset === parsed.dataset && t.entity === parsed.entity)
    );
  });
}

/** Until every landing consumer group has committed everything and every landed batch is loaded. */
export async function waitForLoaded(
  landing: readonly ConsumerGroup[],
  timeoutMs: number,
  log: (line: string) => void,
  options: WaitOptions = {},
): Promise<void> {
  const config = loadConfig();
  // The configured warehouse (WAREHOUSE_TARGET: the Snowflake demo's manifest is in Snowflake), schema raw.
  const target = warehouseTarget({ ...process.env, RAW_SCHEMA: DEFAULT_RAW_SCHEMA });
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
    const batches = (await landedBatchKeys()).filter((key) => !options.exceptKeys?.has(key));
    // The warehouse may be restarting: count nothing loaded yet and ask again.
    const unloaded = await unloadedKeys(target, batches).then(
      (keys) => keys.size,
      () => batches.length,
    );
    const loaded = batches.length - unloaded;
    if (lag === 0 && unloaded === 0) {
      log(`    every record landed, ${loaded}/${batches.length} objects loaded`);
      return;
    }
    if (Date.now() - lastReport > 10_000) {
      log(`    ${lag} records not landed yet, ${loaded}/${batches.length} objects loaded`);
      lastReport = Date.now();
    }
    if (Date.now() > deadline) {
      throw new Error(
        `landing/loading did not finish in ${timeoutMs / 1000} s (lag ${lag}, ${loaded}/${batches.length} objects loaded)`,
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
