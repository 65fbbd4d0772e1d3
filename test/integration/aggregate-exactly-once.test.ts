/**
 * Exactly-once effect of the aggregate function against the real emulator's DynamoDB (a
 * fresh table per test) and the real broker: a redelivered batch, overlapping batches,
 * concurrent writers of one partition, and a crash after the store write but before the
 * offsets were committed all end with totals equal to the true counts.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { dynamodb, resetAwsClients } from "../../core/aws/clients.ts";
import { loadConfig, useLocalAwsEnv } from "../../core/config/index.ts";
import type { Vote } from "../../core/datasets/elections/schema.ts";
import { aggregatedTopics } from "../../core/datasets/index.ts";
import { createKafka, ensureTopics } from "../../core/kafka/client.ts";
import {
  createServingTable,
  DEFAULT_WINDOW_SETTINGS,
  deleteServingTable,
  readLiveResults,
  readPartitionStates,
  registerCandidates,
  type ServingTable,
  VOTES_TOPIC,
} from "../../core/realtime/index.ts";
import { topicDefinitions } from "../../infra/functions.ts";
import { aggregateEvent } from "../../lambdas/aggregate/aggregate-event.ts";
import { closeProducer, handler } from "../../lambdas/aggregate/index.ts";
import {
  asCounts,
  endOffsets,
  makeVote,
  newestPerKey,
  readPublished,
  trueCounts,
  unique,
  votersEvent,
  votersOf,
  votesEvent,
} from "./aggregate-helpers.ts";

const T0 = Date.parse("2026-11-03T12:00:00Z");
const STATES = ["Ohio", "Texas", "Utah"];

/** `n` on-time votes, one second apart, candidates and states in rotation. */
function votes(n: number, candidates: readonly string[], startSecond = 0) {
  return Array.from({ length: n }, (_, i) =>
    makeVote(
      candidates[i % candidates.length] as string,
      STATES[i % STATES.length] as string,
      T0 + (startSecond + i) * 1000,
    ),
  );
}

describe("aggregate: exactly-once effect on the serving table", () => {
  let table: ServingTable;
  const savedTable = process.env.SERVING_TABLE;

  beforeAll(async () => {
    useLocalAwsEnv();
    resetAwsClients();
    const admin = createKafka(loadConfig().kafka, "-it-admin").admin();
    await admin.connect();
    await ensureTopics(
      admin,
      topicDefinitions.filter((t) => (aggregatedTopics as readonly string[]).includes(t.topic)),
    );
    await admin.disconnect();
  });

  afterEach(async () => {
    if (table) await deleteServingTable(table);
    process.env.SERVING_TABLE = savedTable;
  });

  afterAll(async () => {
    await closeProducer();
  });

  /** A new serving table with the candidates registered (only their votes are in the totals). */
  async function freshTable(candidates: readonly string[] = ["a", "b", "c", "d"]): Promise<ServingTable> {
    table = { client: dynamodb(), tableName: `it-serving-${unique()}` };
    await createServingTable(table);
    await registerCandidates(table, candidates);
    registeredOffset = 0;
    return table;
  }

  /** Next free offset of voters partition 0 in the current table. */
  let registeredOffset = 0;
  /** Registers the voters of `cast` as the voters topic would (only registered voters' votes count). */
  async function register(cast: readonly Vote[], partition = 0) {
    const [outcome] = await aggregateEvent(
      votersEvent(partition, registeredOffset, cast),
      table,
      DEFAULT_WINDOW_SETTINGS,
    );
    registeredOffset += votersOf(cast).length;
    return outcome;
  }

  it("counts a batch delivered twice once", async () => {
    // Prepare
    const table = await freshTable();
    const cast = votes(50, ["a", "b", "c"]);
    await register(cast);
    const event = votesEvent(0, 0, cast);

    // Act
    await aggregateEvent(event, table, DEFAULT_WINDOW_SETTINGS);
    const [before] = await readPartitionStates(table, VOTES_TOPIC);
    const again = await aggregateEvent(event, table, DEFAULT_WINDOW_SETTINGS);
    const live = await readLiveResults({ tableName: table.tableName });

    // Assess
    expect(again[0]?.applied).toBe(0);
    expect((await readPartitionStates(table, VOTES_TOPIC))[0]).toEqual(before);
    expect(live.totalVotes).toBe(50);
    expect(asCounts(live.candidates, (c) => c.candidateId)).toEqual(trueCounts(cast).candidates);
    expect(asCounts(live.locations, (l) => l.state)).toEqual(trueCounts(cast).locations);
  });

  it("counts one vote per voter: the first by offset, whether the repeat is a redelivery or a second vote", async () => {
    // Prepare: 30 votes; then, at new offsets, votes 0-9 sent again exactly (a producer retry) and
    // voters 10-14 voting again for another candidate — in the same batch and in a later one.
    const table = await freshTable();
    const cast = votes(30, ["a", "b", "c"]);
    const secondVotes = cast.slice(10, 15).map((v) => ({ ...v, candidate_id: "z" }));
    const firstBatch = [...cast, ...cast.slice(0, 3)];
    const laterBatch = [...cast.slice(3, 10), ...secondVotes];
    await register(cast);

    // Act
    const [first] = await aggregateEvent(votesEvent(1, 0, firstBatch), table, DEFAULT_WINDOW_SETTINGS);
    const [later] = await aggregateEvent(
      votesEvent(1, firstBatch.length, laterBatch),
      table,
      DEFAULT_WINDOW_SETTINGS,
    );
    const live = await readLiveResults({ tableName: table.tableName });

    // Assess: exactly the 30 first votes count; the 15 repeats are duplicates, in no total.
    expect([first?.applied, first?.duplicates, later?.applied, later?.duplicates]).toEqual([30, 3, 0, 12]);
    expect(live.totalVotes).toBe(30);
    expect(live.duplicateVotes).toBe(15);
    expect(asCounts(live.candidates, (c) => c.candidateId)).toEqual(trueCounts(cast).candidates);
    expect(asCounts(live.locations, (l) => l.state)).toEqual(trueCounts(cast).locations);
    expect(live.windows.reduce((n, w) => n + w.votes, 0)).toBe(30);
  });

  it("applies only the new offsets of overlapping batches, on every partition", async () => {
    // Prepare: per partition 30 votes delivered as offsets 0-14, 10-24 and 5-29.
    const table = await freshTable();
    const perPartition = [0, 1, 2].map((p) => votes(30, ["a", "b"], p * 100));
    const slice = (p: number, from: number, to: number) =>
      votesEvent(p, from, (perPartition[p] ?? []).slice(from, to + 1));
    await register(perPartition.flat());

    // Act
    for (const [from, to] of [
      [0, 14],
      [10, 24],
      [5, 29],
    ] as const) {
      for (const p of [0, 1, 2]) await aggregateEvent(slice(p, from, to), table, DEFAULT_WINDOW_SETTINGS);
    }
    const live = await readLiveResults({ tableName: table.tableName });

    // Assess
    const all = perPartition.flat();
    expect(live.totalVotes).toBe(90);
    expect(asCounts(live.candidates, (c) => c.candidateId)).toEqual(trueCounts(all).candidates);
    expect(live.windows.reduce((n, w) => n + w.votes, 0)).toBe(90);
    expect((await readPartitionStates(table, VOTES_TOPIC)).map((s) => s.lastOffset)).toEqual([29, 29, 29]);
  });

  it("keeps every vote once when two invocations write the same partition at the same time", async () => {
    // Prepare: a zombie invocation and its retries race with overlapping batches. Each starts at
    // the partition's first unapplied offset: the mapping never delivers past one it hasn't committed.
    const table = await freshTable();
    const cast = votes(40, ["a", "b", "c", "d"]);
    await register(cast);

    // Act
    await Promise.all([
      aggregateEvent(votesEvent(0, 0, cast.slice(0, 30)), table, DEFAULT_WINDOW_SETTINGS),
      aggregateEvent(votesEvent(0, 0, cast), table, DEFAULT_WINDOW_SETTINGS),
      aggregateEvent(votesEvent(0, 0, cast.slice(0, 20)), table, DEFAULT_WINDOW_SETTINGS),
    ]);
    const live = await readLiveResults({ tableName: table.tableName });

    // Assess
    expect(live.totalVotes).toBe(40);
    expect(asCounts(live.candidates, (c) => c.candidateId)).toEqual(trueCounts(cast).candidates);
  });

  it("skips invalid records without counting them, and moves past their offsets", async () => {
    // Prepare
    const table = await freshTable();
    const cast = votes(4, ["a"]);
    await register(cast);

    // Act: offsets 0-5, of which 2 and 5 are not votes (land-records quarantines them).
    const [outcome] = await aggregateEvent(
      votesEvent(1, 0, [cast[0] ?? null, cast[1] ?? null, null, cast[2] ?? null, cast[3] ?? null, null]),
      table,
      DEFAULT_WINDOW_SETTINGS,
    );

    // Assess
    expect(outcome).toMatchObject({ records: 4, skipped: 2, applied: 4, lastOffset: 5 });
    expect((await readLiveResults({ tableName: table.tableName })).totalVotes).toBe(4);
  });

  it("after a crash between the store write and the offset commit, the redelivered batch counts once and is published", async () => {
    // Prepare: unique candidate ids, so only this test's records are read back from the shared topics.
    const candidates = [`x-${unique()}`, `y-${unique()}`];
    const table = await freshTable(candidates);
    process.env.SERVING_TABLE = table.tableName;
    const first = votes(20, candidates);
    const second = votes(10, candidates, 20);
    await register([...first, ...second]);
    const from = await endOffsets(aggregatedTopics);

    // Act: the first invocation writes the totals and dies before publishing and before the
    // mapping commits its offsets; the mapping redelivers the batch, and the next one follows.
    await aggregateEvent(votesEvent(2, 0, first), table, DEFAULT_WINDOW_SETTINGS);
    const redelivered = await handler(votesEvent(2, 0, first));
    const next = await handler(votesEvent(2, 20, second));
    const live = await readLiveResults({ tableName: table.tableName });
    const published = await readPublished(aggregatedTopics[0], from.get(aggregatedTopics[0]) ?? []);

    // Assess
    const expected = trueCounts([...first, ...second]);
    expect(redelivered.applied).toBe(0);
    expect(next.applied).toBe(10);
    expect(asCounts(live.candidates, (c) => c.candidateId)).toEqual(expected.candidates);
    expect(newestPerKey(published)).toEqual(expected.candidates);
    // Each invocation published every key once; the redelivery published the totals it restored.
    expect(published.get(candidates[0] as string)?.map((r) => r.value.votes)).toEqual([10, 15]);
  });

  it("holds a vote apart until its voter registers, then counts it once; a never-registered voter's vote stays rejected", async () => {
    // Prepare: 12 votes; voters 0-3 register before their votes, 4-9 after, 10-11 never.
    const table = await freshTable();
    const cast = votes(12, ["a", "b", "c"]);
    await register(cast.slice(0, 4));

    // Act
    const [claimed] = await aggregateEvent(votesEvent(0, 0, cast), table, DEFAULT_WINDOW_SETTINGS);
    const early = await readLiveResults({ tableName: table.tableName });
    const late = await register(cast.slice(4, 10));
    // Both batches delivered again, as the mappings would after a crash before their commits.
    const [claimedAgain] = await aggregateEvent(votesEvent(0, 0, cast), table, DEFAULT_WINDOW_SETTINGS);
    registeredOffset -= 6;
    const lateAgain = await register(cast.slice(4, 10));
    const live = await readLiveResults({ tableName: table.tableName });

    // Assess
    expect([claimed?.applied, claimed?.unregisteredVoters, claimed?.duplicates]).toEqual([4, 8, 0]);
    expect([early.totalVotes, early.rejectedVotes, early.unregisteredVoterVotes]).toEqual([4, 8, 8]);
    expect([late?.released, late?.applied, claimedAgain?.applied, lateAgain?.applied]).toEqual([6, 6, 0, 0]);
    expect([live.totalVotes, live.rejectedVotes, live.unregisteredVoterVotes, live.duplicateVotes]).toEqual([
      10, 2, 2, 0,
    ]);
    expect(asCounts(live.candidates, (c) => c.candidateId)).toEqual(trueCounts(cast.slice(0, 10)).candidates);
    expect(asCounts(live.locations, (l) => l.state)).toEqual(trueCounts(cast.slice(0, 10)).locations);
  });

  it("counts every vote once when its voter's registration is applied at the same time, on another partition", async () => {
    // Prepare: 5 rounds of 40 votes whose voters register concurrently (neither side waits).
    const table = await freshTable();
    const all: Vote[] = [];

    // Act
    for (let round = 0; round < 5; round++) {
      const cast = votes(40, ["a", "b", "c", "d"], round * 100);
      all.push(...cast);
      await Promise.all([
        aggregateEvent(votesEvent(1, round * 40, cast), table, DEFAULT_WINDOW_SETTINGS),
        register(cast, 2),
      ]);
    }
    const live = await readLiveResults({ tableName: table.tableName });

    // Assess: whichever side saw the other, each vote is in the totals once and nothing is held apart.
    expect([live.totalVotes, live.rejectedVotes, live.unregisteredVoterVotes]).toEqual([200, 0, 0]);
    expect(asCounts(live.candidates, (c) => c.candidateId)).toEqual(trueCounts(all).candidates);
  });
});
