/** Helpers of the aggregate tests: votes as MSK events, true counts, the aggregated topics read back. */
import { randomUUID } from "node:crypto";
import { type Config, loadConfig } from "../../core/config/index.ts";
import { generateVoter } from "../../core/datasets/elections/generator.ts";
import type { Candidate, Vote, Voter } from "../../core/datasets/elections/schema.ts";
import { createKafka, type KafkaMessage, topicOffsets } from "../../core/kafka/client.ts";
import { type MskEvent, toMskEvent } from "../../core/msk-event/index.ts";
import { type LiveResults, readLiveResults, VOTERS_TOPIC, VOTES_TOPIC } from "../../core/realtime/index.ts";
import { Prng } from "../../core/sources/prng.ts";
import type { SourceRecord } from "../../core/sources/types.ts";
import { seekToStarts } from "./consumer-start.ts";

export const unique = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

/** Candidate records registering `ids` (only their votes are in the live totals). */
export function candidateRecords(ids: readonly string[]): SourceRecord[] {
  return ids.map((id) => ({
    entity: "candidates",
    value: { candidate_id: id, candidate_name: `Candidate ${id}`, party: "Test" } satisfies Candidate,
  }));
}

/** A valid voter record of each voter of `votes` (only registered voters' votes are in the live totals). */
export function votersOf(votes: readonly Vote[]): Voter[] {
  const rng = new Prng(7);
  const voters = new Map<string, Voter>();
  for (const vote of votes) {
    if (voters.has(vote.voter_id)) continue;
    const voter = generateVoter(rng, Date.now());
    voters.set(vote.voter_id, { ...voter, login: { ...voter.login, uuid: vote.voter_id } });
  }
  return [...voters.values()];
}

/** The voter records registering the voters of `votes`, to produce. */
export function voterRecords(votes: readonly Vote[]): SourceRecord[] {
  return votersOf(votes).map((value) => ({ entity: "voters", value }));
}

/** The MSK event Lambda would deliver for these offsets of one voters partition. */
export function votersEvent(partition: number, firstOffset: number, votes: readonly Vote[]): MskEvent {
  const messages = votersOf(votes).map(
    (voter, i) =>
      ({
        offset: String(firstOffset + i),
        timestamp: String(Date.now()),
        key: Buffer.from(voter.login.uuid),
        value: Buffer.from(JSON.stringify(voter)),
        headers: {},
      }) as unknown as KafkaMessage,
  );
  return toMskEvent([{ topic: VOTERS_TOPIC, partition, messages }]);
}

export function makeVote(candidateId: string, state: string, votingTime: number): Vote {
  return {
    voter_id: randomUUID(),
    candidate_id: candidateId,
    voting_time: new Date(votingTime).toISOString(),
    state,
    vote: 1,
  };
}

/** The MSK event Lambda would deliver for these offsets of one votes partition (`null` = an invalid record). */
export function votesEvent(
  partition: number,
  firstOffset: number,
  votes: readonly (Vote | null)[],
): MskEvent {
  const messages = votes.map(
    (vote, i) =>
      ({
        offset: String(firstOffset + i),
        timestamp: String(Date.now()),
        key: Buffer.from(vote?.voter_id ?? "bad"),
        value: Buffer.from(vote ? JSON.stringify(vote) : "{not json"),
        headers: {},
      }) as unknown as KafkaMessage,
  );
  return toMskEvent([{ topic: VOTES_TOPIC, partition, messages }]);
}

/** Votes per key, counted the obvious way: what every aggregate must equal. */
export function trueCounts(votes: readonly Vote[]) {
  const count = (key: (v: Vote) => string) => {
    const counts: Record<string, number> = {};
    for (const v of votes) counts[key(v)] = (counts[key(v)] ?? 0) + 1;
    return counts;
  };
  return { candidates: count((v) => v.candidate_id), locations: count((v) => v.state) };
}

export function asCounts<T extends { votes: number }>(rows: readonly T[], key: (row: T) => string) {
  // Registered candidates without votes are listed with 0; the true counts have no zeros.
  return Object.fromEntries(rows.filter((r) => r.votes > 0).map((r) => [key(r), r.votes]));
}

/** Each topic's end offsets, to read only what a test publishes after this point. */
export async function endOffsets(topics: readonly string[], config: Config = loadConfig()) {
  const admin = createKafka(config.kafka, "-it-admin").admin();
  await admin.connect();
  try {
    const ends = new Map<string, { partition: number; offset: string }[]>();
    for (const topic of topics) {
      ends.set(
        topic,
        (await topicOffsets(admin, topic)).map((p) => ({ partition: p.partition, offset: p.high })),
      );
    }
    return ends;
  } finally {
    await admin.disconnect();
  }
}

export interface PublishedRecord {
  readonly key: string;
  readonly offset: number;
  readonly value: { votes: number; version: number; updated_at: string | null };
}

/** Every record of `topic` from `from` up to its current end, per key in offset order. */
export async function readPublished(
  topic: string,
  from: readonly { partition: number; offset: string }[],
  config: Config = loadConfig(),
): Promise<Map<string, PublishedRecord[]>> {
  const to = (await endOffsets([topic], config)).get(topic) ?? [];
  const kafka = createKafka(config.kafka, "-it-reader");
  const groupId = `it-aggregate-${unique()}`;
  const remaining = new Set(
    to
      .filter((p) => Number(p.offset) > Number(from.find((f) => f.partition === p.partition)?.offset ?? 0))
      .map((p) => p.partition),
  );
  const byKey = new Map<string, PublishedRecord[]>();
  if (remaining.size === 0) return byKey;
  const consumer = kafka.consumer({ groupId });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out reading ${topic}`)), 60_000);
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            const end = Number(to.find((p) => p.partition === partition)?.offset ?? 0);
            const start = Number(from.find((p) => p.partition === partition)?.offset ?? 0);
            const offset = Number(message.offset);
            if (offset >= start && offset < end) {
              const key = message.key?.toString() ?? "";
              const list = byKey.get(key) ?? [];
              list.push({ key, offset, value: JSON.parse(message.value?.toString() ?? "null") });
              byKey.set(key, list);
            }
            if (offset >= end - 1) remaining.delete(partition);
            if (remaining.size === 0) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
      seekToStarts(
        consumer,
        from.map((p) => ({ topic, ...p })),
      );
    });
  } finally {
    await consumer.disconnect();
  }
  return byKey;
}

/** Per key, the published record with the highest version: what a consumer of the topic keeps. */
export function newestPerKey(byKey: Map<string, PublishedRecord[]>): Record<string, number> {
  const newest: Record<string, number> = {};
  for (const [key, records] of byKey) {
    const best = records.reduce((a, b) => (b.value.version > a.value.version ? b : a));
    newest[key] = best.value.votes;
  }
  return newest;
}

/** Reads the live results until `done` says they got there; fails with the last read after `timeoutMs`. */
export async function waitForLive(
  done: (live: LiveResults) => boolean,
  timeoutMs = 300_000,
): Promise<LiveResults> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const live = await readLiveResults().catch(() => undefined);
    if (live && done(live)) return live;
    if (Date.now() > deadline) throw new Error(`live results never got there: ${JSON.stringify(live)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
