/**
 * The aggregate function as the local runtime runs it from the synthesized local target, on
 * a fresh, separate set of services (separate-services.ts): votes produced to Kafka end up as
 * live totals equal to the produced counts; votes later than watermark − allowed lateness
 * are counted as late, kept out of the windows, and still reach the raw table through
 * land-records and load-raw; the aggregated topics' newest record per key holds the totals.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitForRegistrations } from "../../bench/voters.ts";
import { resetAwsClients } from "../../core/aws/clients.ts";
import { loadConfig } from "../../core/config/index.ts";
import { elections } from "../../core/datasets/elections/index.ts";
import type { Vote } from "../../core/datasets/elections/schema.ts";
import { aggregatedTopics } from "../../core/datasets/index.ts";
import { connectProducer, createKafka, type Producer } from "../../core/kafka/client.ts";
import { produceRecords } from "../../core/producer/produce.ts";
import { type LiveResults, VOTES_TOPIC } from "../../core/realtime/index.ts";
import { landingGroups, waitForLoaded } from "../../demo/wait-for-loaded.ts";
import { openRuntime } from "../../localstack/runtime/open.ts";
import type { LocalRuntime } from "../../localstack/runtime/runtime.ts";
import {
  asCounts,
  candidateRecords,
  makeVote,
  newestPerKey,
  readPublished,
  trueCounts,
  voterRecords,
  waitForLive,
} from "./aggregate-helpers.ts";
import { type SeparateServices, useSeparateServices } from "./separate-services.ts";

const T0 = Date.parse("2026-11-03T12:00:00Z");
const CANDIDATES = ["c-red", "c-blue", "c-green"];
const STATES = ["Ohio", "Texas", "Utah", "Iowa"];
/** 300 on-time votes, six seconds apart: 30 minutes of event time, in order. */
const onTime = Array.from({ length: 300 }, (_, i) =>
  makeVote(CANDIDATES[i % 3] as string, STATES[i % 4] as string, T0 + i * 6_000),
);
/** Then 12 votes from minute 1, far behind every partition's watermark (~minute 30) − 2 minutes. */
const late = Array.from({ length: 12 }, (_, i) =>
  makeVote(CANDIDATES[i % 2] as string, "Maine", T0 + 60_000 + i),
);
/** And 6 more on time, after the late ones. */
const after = Array.from({ length: 6 }, (_, i) => makeVote("c-green", "Ohio", T0 + 30 * 60_000 + i * 1_000));
const all = [...onTime, ...late, ...after];

describe("aggregate through the local runtime", () => {
  let services: SeparateServices;
  let runtime: LocalRuntime | undefined;
  let producer: Producer;
  let live: LiveResults;

  beforeAll(async () => {
    // Prepare: fresh services, the local target deployed and running.
    services = await useSeparateServices();
    resetAwsClients();
    runtime = await openRuntime({ log: () => undefined });
    await runtime.deploy();
    await runtime.start();
    producer = await connectProducer(createKafka(loadConfig().kafka, "-it-producer"));

    // Act: the candidates, on-time votes and one invalid record; once they are aggregated, the late ones.
    await produceRecords(producer, elections, candidateRecords(CANDIDATES), { source: "generator" });
    await produceVotes(producer, onTime);
    await producer.send({ topic: VOTES_TOPIC, messages: [{ key: "not-a-vote", value: "{oops" }] });
    await waitForLive((l) => l.totalVotes === onTime.length);
    await produceVotes(producer, late);
    await produceVotes(producer, after);
    live = await waitForLive((l) => l.totalVotes === all.length);
    await waitForLoaded(landingGroups(runtime), 300_000, () => undefined);
  }, 600_000);

  afterAll(async () => {
    await producer?.disconnect();
    await runtime?.stop();
    await services?.release();
  });

  it("holds totals per candidate and per state equal to the produced votes", () => {
    expect(live.totalVotes).toBe(all.length);
    expect(asCounts(live.candidates, (c) => c.candidateId)).toEqual(trueCounts(all).candidates);
    expect(asCounts(live.locations, (l) => l.state)).toEqual(trueCounts(all).locations);
  });

  it("counts the late votes as late and keeps them out of the windows", () => {
    expect(live.lateEvents).toBe(late.length);
    expect(live.windows.reduce((n, w) => n + w.votes, 0)).toBe(all.length - late.length);
    const minuteOne = live.windows.find((w) => w.start === new Date(T0 + 60_000).toISOString());
    const inMinuteOne = (v: Vote) => Math.floor((Date.parse(v.voting_time) - T0) / 60_000) === 1;
    expect(minuteOne?.votes).toBe(onTime.filter(inMinuteOne).length);
    expect(Date.parse(live.watermark ?? "")).toBeGreaterThan(T0 + 29 * 60_000);
  });

  it("lands the late votes in the raw table like any other vote", async () => {
    const client = new pg.Client({ connectionString: services.databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ voter_id: string }>(
        "select payload->>'voter_id' as voter_id from raw.elections_votes",
      );
      const landed = new Set(rows.map((r) => r.voter_id));
      expect(rows.length).toBe(all.length);
      expect(late.filter((v) => landed.has(v.voter_id))).toHaveLength(late.length);
    } finally {
      await client.end();
    }
  });

  it("publishes the totals to the compacted topics: the newest record per key holds them", async () => {
    const fromStart = [0, 1, 2].map((partition) => ({ partition, offset: "0" }));
    const [candidateTopic, locationTopic] = aggregatedTopics;
    expect(newestPerKey(await readPublished(candidateTopic, fromStart))).toEqual(trueCounts(all).candidates);
    expect(newestPerKey(await readPublished(locationTopic, fromStart))).toEqual(trueCounts(all).locations);
  });
});

/**
 * The votes and their voters' registrations (only registered voters' votes are in the live
 * totals), the registrations applied first: a vote applied before its registration is held and,
 * released, counted in no window (docs/ARCHITECTURE.md), and this file is about windows.
 */
async function produceVotes(producer: Producer, votes: readonly Vote[]): Promise<void> {
  await produceRecords(producer, elections, voterRecords(votes), { source: "generator" });
  await waitForRegistrations(120_000);
  const result = await produceRecords(
    producer,
    elections,
    votes.map((value) => ({ entity: "votes", value })),
    { source: "generator" },
  );
  expect(result.produced).toBe(votes.length);
}
