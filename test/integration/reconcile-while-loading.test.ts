/**
 * Regression (issue 13): during loading `pipeline reconcile` reported `duplicated: -5000`, and
 * its exit status flipped while the counts were settling. Here loads commit into this test's
 * raw table (rows and their manifest row in one transaction, as load-raw does) while reconcile
 * reads again and again: no count may go negative, staging may not disagree with the table
 * it reads, and a read while loads commit says it is not settled (exit 2, in flight). Once the
 * loads stop, every read gives the same verdict.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  exitStatus,
  type ReconcileReport,
  reconcile,
  type TopicLocation,
} from "../../core/reconcile/reconcile.ts";
import { MANIFEST_TABLE, pgQualified, postgresRawDdl } from "../../core/warehouse/index.ts";
import { createIngestEnv, type IngestEnv, rawPool, uniqueName, votesLocation } from "./ingest-helpers.ts";

const ROWS_PER_LOAD = 200;

describe("pipeline reconcile while loads commit", () => {
  let env: IngestEnv;
  let location: TopicLocation;
  const during: ReconcileReport[] = [];
  const after: ReconcileReport[] = [];

  beforeAll(async () => {
    // Prepare: this test's raw table and manifest, a staging view deduplicating by key.
    env = await createIngestEnv();
    const pool = rawPool(env.config);
    const table = {
      dataset: "elections",
      entity: "votes",
      topic: "elections.votes",
      table: "elections_votes",
    };
    for (const ddl of postgresRawDdl(env.schema, [table])) await pool.query(ddl);
    location = await votesLocation(env, uniqueName("it.reconcile-loading"));

    // Act: loads commit back to back (every key new) while reconcile reads, then they stop.
    let loading = true;
    let loads = 0;
    const loader = (async () => {
      while (loading) {
        const client = await pool.connect();
        try {
          await client.query("begin");
          await client.query(
            `insert into ${pgQualified(env.schema, "elections_votes")}
               (topic, partition, "offset", record_key, payload, kafka_ts, source_object)
             select $1, 0, $2::bigint + i, $3 || i, '{}'::jsonb, now(), $4
               from generate_series(0, $5 - 1) i`,
            [
              location.topic,
              loads * ROWS_PER_LOAD,
              `${randomUUID()}-`,
              `raw/elections/votes/${loads}`,
              ROWS_PER_LOAD,
            ],
          );
          await client.query(
            `insert into ${pgQualified(env.schema, MANIFEST_TABLE)}
               (object_key, etag, raw_table, rows_in_object, rows_inserted) values ($1, 'e', 'elections_votes', $2, $2)`,
            [`raw/elections/votes/${loads}`, ROWS_PER_LOAD],
          );
          await client.query("commit");
          loads += 1;
        } finally {
          client.release();
        }
      }
    })();
    while (during.length < 12) during.push(await reconcile(env.config, [location], { settleMs: 0 }));
    loading = false;
    await loader;
    for (let i = 0; i < 3; i++) after.push(await reconcile(env.config, [location], { settleMs: 200 }));
  }, 120_000);

  afterAll(async () => env?.cleanup());

  it("never reports a negative count, and staging agrees with the table it reads, while loads commit", () => {
    // Assess
    for (const report of [...during, ...after]) {
      const [t] = report.topics;
      expect(t?.duplicated).toBe(0);
      expect(t?.raw.distinctKeys).toBe(t?.raw.rows);
      expect(t?.staging).toMatchObject({ built: true, rows: t?.raw.rows });
      expect(t?.issues.filter((i) => i.kind === "staging-mismatch")).toEqual([]);
      for (const n of [t?.lost, t?.inFlight, t?.duplicated, t?.kafka.records, t?.raw.rows])
        expect(n).toBeGreaterThanOrEqual(0);
    }
  });

  it("says a read while loads commit is not settled (exit 2), and gives one verdict once they stop", () => {
    // Assess: the loads never stopped during these reads, so each saw the manifest move.
    expect(during.map((r) => [r.settled, exitStatus(r)])).toEqual(during.map(() => [false, 2]));
    // Rows with no raw/ object are damage, not movement: once settled, reported the same each time.
    expect(after.map((r) => [r.settled, exitStatus(r)])).toEqual([
      [true, 1],
      [true, 1],
      [true, 1],
    ]);
    expect(new Set(after.map((r) => JSON.stringify(r.topics)))).toHaveProperty("size", 1);
    expect(after[0]?.topics[0]?.issues.map((i) => i.kind)).toEqual(["not-in-lake"]);
  });
});
