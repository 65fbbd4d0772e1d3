/**
 * Registers the benchmark's voters. The gold layer and the live totals count a vote only for a
 * registered voter (election_rejected_votes; core/realtime/voter-registry.ts):
 * - the ingest measures votes alone, so its voters skip Kafka: before the transform stage their
 *   records are loaded into the raw voters table through the production loader (core/warehouse),
 *   as landed objects of 50,000 lines — live, their votes are held apart as unregistered;
 * - the real-time stage measures the latency of counted votes, so its voters go through Kafka
 *   first, and the stage starts once the aggregate has registered them all.
 */
import { randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import { loadConfig } from "../core/config/index.ts";
import { elections } from "../core/datasets/elections/index.ts";
import { ELECTIONS_TOPICS } from "../core/datasets/elections/topics.ts";
import { createKafka, topicOffsets } from "../core/kafka/client.ts";
import { kafkaConsumerGroupId } from "../core/kafka/consumer-group.ts";
import { batchObjectKey, encodeNdjsonGz } from "../core/lake/index.ts";
import { produceDataset } from "../core/producer/produce-dataset.ts";
import { readConsumerLag } from "../core/reconcile/readers.ts";
import { loadObjectPostgres } from "../core/warehouse/postgres/load.ts";
import { postgresPool } from "../core/warehouse/postgres/pool.ts";
import { readLines, type VotesFile } from "./data.ts";

const LINES_PER_OBJECT = 50_000;

export async function registerVoters(files: readonly VotesFile[]): Promise<number> {
  const pool = postgresPool(loadConfig().postgres.url);
  const timestamp = Date.now();
  // As if appended to partition 0 of the topic: the raw table keeps one row per Kafka position,
  // so offsets the real-time voters already hold there would be dropped as loaded before.
  const start = await nextOffset(ELECTIONS_TOPICS.voters, 0);
  let offset = start;
  let batch: unknown[] = [];
  const load = async () => {
    if (batch.length === 0) return;
    const firstOffset = offset - batch.length;
    const body = await encodeNdjsonGz(
      batch.map((value, i) => ({
        topic: ELECTIONS_TOPICS.voters,
        partition: 0,
        offset: firstOffset + i,
        timestamp,
        key: (value as { login: { uuid: string } }).login.uuid,
        value,
      })),
    );
    const key = batchObjectKey({
      area: "raw",
      dataset: "elections",
      entity: "voters",
      partition: 0,
      firstOffset,
      lastOffset: offset - 1,
      firstTimestampMs: timestamp,
    });
    await loadObjectPostgres(pool, { key, etag: randomUUID(), open: async () => Readable.from([body]) });
    batch = [];
  };
  for (const file of files) {
    for await (const line of readLines(file.votersPath)) {
      batch.push(JSON.parse(line));
      offset += 1;
      if (batch.length === LINES_PER_OBJECT) await load();
    }
  }
  await load();
  return offset - start;
}

/** Produces the voters of `file` to `elections.voters` and waits until the aggregate has applied them all. */
export async function registerVotersLive(file: VotesFile, timeoutMs: number): Promise<number> {
  const config = loadConfig();
  async function* records() {
    for await (const line of readLines(file.votersPath)) yield { entity: "voters", value: JSON.parse(line) };
  }
  const { produced } = await produceDataset(config, elections, { name: "generator", records: records() });
  await waitForRegistrations(timeoutMs, `${produced} voters`);
  return produced;
}

/**
 * Waits until the aggregate has applied every record on `elections.voters`: its votes then count
 * at once, instead of being held apart until the registration arrives (and, released, counted
 * in no window).
 */
export async function waitForRegistrations(timeoutMs: number, what = "the voters"): Promise<void> {
  const config = loadConfig();
  const groupId = kafkaConsumerGroupId(config.envName, "aggregate", ELECTIONS_TOPICS.voters);
  const deadline = Date.now() + timeoutMs;
  // The mapping commits a batch's offsets after the aggregate applied it: no lag, all registered.
  while ((await readConsumerLag(config, groupId, [ELECTIONS_TOPICS.voters]).catch(() => 1)) > 0) {
    if (Date.now() > deadline)
      throw new Error(`the aggregate did not register ${what} in ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** The offset the next record of `topic`'s `partition` would get (0 for a topic nobody created). */
async function nextOffset(topic: string, partition: number): Promise<number> {
  const admin = createKafka(loadConfig().kafka, "-bench-voters").admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(topic)) return 0;
    return Number((await topicOffsets(admin, topic)).find((p) => p.partition === partition)?.high ?? 0);
  } finally {
    await admin.disconnect();
  }
}
