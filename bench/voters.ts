/**
 * Registers the benchmark's voters in the warehouse before the transform stage: their records
 * loaded into the raw voters table through the production loader (core/warehouse), as landed
 * objects of 50,000 lines. The gold layer counts a vote only for a registered voter
 * (election_rejected_votes), and the ingest measures votes alone, so the voters skip Kafka.
 */
import { randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import { loadConfig } from "../core/config/index.ts";
import { ELECTIONS_TOPICS } from "../core/datasets/elections/topics.ts";
import { batchObjectKey, encodeNdjsonGz } from "../core/lake/index.ts";
import { loadObjectPostgres } from "../core/warehouse/postgres/load.ts";
import { postgresPool } from "../core/warehouse/postgres/pool.ts";
import { readLines, type VotesFile } from "./data.ts";

const LINES_PER_OBJECT = 50_000;

export async function registerVoters(files: readonly VotesFile[]): Promise<number> {
  const pool = postgresPool(loadConfig().postgres.url);
  const timestamp = Date.now();
  let offset = 0;
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
  return offset;
}
