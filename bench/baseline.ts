/**
 * Stage 5, the baseline: what the seed projects do — one Kafka consumer that inserts each vote
 * into PostgreSQL with its own INSERT (autocommit) — over the same votes topic.
 */
import pg from "pg";
import { loadConfig } from "../core/config/index.ts";
import { createKafka } from "../core/kafka/client.ts";
import { StageError } from "./errors.ts";
import { perSecond, sleep } from "./measure.ts";

export interface BaselineFigures {
  readonly records: number;
  readonly seconds: number;
  readonly perSecond: number;
}

/** Consumes the first `records` votes from the start of the topic, one INSERT each. */
export async function runBaseline(records: number, timeoutMs = 600_000): Promise<BaselineFigures> {
  const config = loadConfig();
  const db = new pg.Client({ connectionString: config.postgres.url });
  await db.connect();
  const consumer = createKafka(config.kafka, "-bench-baseline").consumer({
    groupId: `bench-baseline-${Date.now()}`,
  });
  try {
    await db.query("drop table if exists bench_baseline_votes");
    await db.query(
      `create table bench_baseline_votes (
         voter_id text primary key, candidate_id text not null, voting_time timestamptz not null, state text not null
       )`,
    );
    await consumer.connect();
    await consumer.subscribe({ topic: "elections.votes", fromBeginning: true });
    let inserted = 0;
    let first = 0;
    let last = 0;
    let failure: unknown;
    await consumer.run({
      eachMessage: async ({ message }) => {
        if (inserted >= records || failure) return;
        first ||= performance.now();
        try {
          const vote = JSON.parse(message.value?.toString() ?? "{}");
          await db.query(
            "insert into bench_baseline_votes (voter_id, candidate_id, voting_time, state) values ($1, $2, $3, $4) on conflict do nothing",
            [vote.voter_id, vote.candidate_id, vote.voting_time, vote.state],
          );
        } catch (error) {
          failure = error;
        }
        if (++inserted === records) last = performance.now();
      },
    });
    const deadline = Date.now() + timeoutMs;
    while (!last && !failure && Date.now() < deadline) await sleep(100);
    if (failure) throw new StageError("the baseline consumer failed", { cause: failure });
    if (!last)
      throw new StageError(
        `the baseline inserted only ${inserted}/${records} votes in ${timeoutMs / 1000} s`,
      );
    const seconds = (last - first) / 1000;
    return { records, seconds: Math.round(seconds * 1000) / 1000, perSecond: perSecond(records, seconds) };
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await db.query("drop table if exists bench_baseline_votes").catch(() => undefined);
    await db.end();
  }
}
