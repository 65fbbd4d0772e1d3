/**
 * How far each stage has got with the votes, read from what the stage itself records — landed
 * records from land-records' committed consumer offsets (it commits only after its raw/ object
 * is written), loaded rows from the load manifest — so the benchmark measures the pipeline
 * without adding load to the emulator it runs on (no S3 listing while it runs).
 */
import type { Config } from "../core/config/index.ts";
import { type Admin, createKafka } from "../core/kafka/client.ts";
import { kafkaConsumerGroupId } from "../core/kafka/consumer-group.ts";
import { listKeys } from "../core/lake/list-keys.ts";
import { VOTES_TOPIC } from "../core/realtime/index.ts";
import { readCommittedOffsets, readLoadManifest } from "../core/reconcile/readers.ts";
import { DEFAULT_RAW_SCHEMA } from "../core/warehouse/raw-tables.ts";

export const VOTES_PREFIX = "raw/elections/votes/";

/** land-records' consumer group for the votes, in any environment (`<env>-land-records-elections.votes`). */
const LANDING_GROUP_SUFFIX = kafkaConsumerGroupId("", "land-records", VOTES_TOPIC);

/** Votes land-records has committed (landed), over one admin connection kept open. */
export class LandingCounter {
  readonly #admin: Admin;
  #groupId: string | undefined;

  private constructor(admin: Admin) {
    this.#admin = admin;
  }

  static async open(config: Config): Promise<LandingCounter> {
    const admin = createKafka(config.kafka, "-bench-counter").admin();
    await admin.connect();
    return new LandingCounter(admin);
  }

  async landedVotes(): Promise<number> {
    // The group appears when the runtime's consumer first joins.
    this.#groupId ??= (await this.#admin.listGroups()).groups
      .map((g) => g.groupId)
      .find((id) => id.endsWith(LANDING_GROUP_SUFFIX));
    if (!this.#groupId) return 0;
    const committed = await readCommittedOffsets(this.#admin, this.#groupId, [VOTES_TOPIC]);
    return [...(committed.get(VOTES_TOPIC)?.values() ?? [])].reduce(
      (n, offset) => n + Math.max(0, offset),
      0,
    );
  }

  close(): Promise<void> {
    return this.#admin.disconnect();
  }
}

/** raw/ objects holding votes. */
export async function landedObjects(config: Config): Promise<number> {
  return (await listKeys(config.buckets.raw, VOTES_PREFIX)).length;
}

/** Vote rows the loads recorded in the manifest (0 before the first load creates it). */
export async function loadedVotes(config: Config): Promise<number> {
  return (await readLoadManifest(config.postgres.url, DEFAULT_RAW_SCHEMA, VOTES_PREFIX)).rowsInserted;
}
