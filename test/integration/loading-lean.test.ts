/**
 * The lean load path on the real services: an object whose offset range holds no row of the
 * raw table yet is COPYed straight into it (`copy`); one whose range may overlap rows already
 * loaded — a batch landed again under another key, a concurrent load of an overlapping object
 * — goes through the dedupe path (`dedupe`), and the rows are the same either way. Each case
 * asserts the path as well as the rows: a wrongly taken lean path would show as
 * `dedupe-after-copy` (its COPY rolled back on a duplicate) or as a failed load.
 */
import { gzipSync } from "node:zlib";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { s3 } from "../../core/aws/clients.ts";
import { batchObjectKey, type ObjectRef, objectCreatedEvent } from "../../core/lake/index.ts";
import { type ObjectLoad, pgQualified } from "../../core/warehouse/index.ts";
import { createIngestEnv, type IngestEnv, rawPool } from "./ingest-helpers.ts";

const TOPIC = "elections.votes";
const TS = Date.parse("2024-11-05T12:00:00.000Z");

interface Line {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: string | null;
  value: unknown;
}

/** The line land-records writes for a vote at this partition and offset. */
function vote(partition: number, offset: number): Line {
  return {
    topic: TOPIC,
    partition,
    offset,
    timestamp: TS + offset * 1_001,
    key: `voter-${partition}-${offset}`,
    value: { voter_id: `voter-${partition}-${offset}`, candidate_id: `c-${offset % 3}`, n: offset / 8 },
  };
}

const offsets = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe("the lean load path", () => {
  let env: IngestEnv;
  let loadRaw: typeof import("../../lambdas/load-raw/index.ts").handler;

  beforeAll(async () => {
    env = await createIngestEnv();
    ({ handler: loadRaw } = await import("../../lambdas/load-raw/index.ts"));
  });

  afterAll(async () => env?.cleanup());

  const votesTable = () => pgQualified(env.schema, "elections_votes");
  const query = async <T extends Record<string, unknown>>(sql: string, values: unknown[] = []) =>
    (await rawPool(env.config).query<T>(sql, values)).rows;

  /** Writes an object of these lines (or raw NDJSON text) under the key of [first, last]. */
  async function land(
    partition: number,
    first: number,
    last: number,
    lines: readonly Line[] | string,
    hour = 12,
  ): Promise<ObjectRef> {
    const key = batchObjectKey({
      area: "raw",
      dataset: "elections",
      entity: "votes",
      partition,
      firstOffset: first,
      lastOffset: last,
      firstTimestampMs: TS + hour * 3_600_000 - 12 * 3_600_000,
    });
    const text = typeof lines === "string" ? lines : `${lines.map((l) => JSON.stringify(l)).join("\n")}\n`;
    const body = gzipSync(Buffer.from(text, "utf8"));
    const put = await s3().send(new PutObjectCommand({ Bucket: env.rawBucket, Key: key, Body: body }));
    return { bucket: env.rawBucket, key, etag: put.ETag ?? "", size: body.length };
  }

  async function load(object: ObjectRef): Promise<ObjectLoad> {
    const result = await loadRaw(objectCreatedEvent([object]));
    if (!("loads" in result) || result.loads.length !== 1) throw new Error("expected one load");
    return result.loads[0] as ObjectLoad;
  }

  async function storedOffsets(partition: number): Promise<number[]> {
    const rows = await query<{ offset: string }>(
      `select "offset" from ${votesTable()} where partition = $1 order by 1`,
      [partition],
    );
    return rows.map((r) => Number(r.offset));
  }

  async function manifestPath(key: string): Promise<string | null | undefined> {
    const rows = await query<{ load_path: string | null }>(
      `select load_path from ${pgQualified(env.schema, "_load_manifest")} where object_key = $1`,
      [key],
    );
    return rows[0]?.load_path;
  }

  it("COPYs a new object straight in, with the rows the dedupe path would derive", async () => {
    // Prepare: lines with what COPY's text format and jsonb must keep as they are
    const lines: Line[] = offsets(0, 9).map((o) => vote(0, o));
    lines[1] = { ...vote(0, 1), key: null };
    lines[2] = { ...vote(0, 2), key: "tab\there\\back\nslash é 🗳️" };
    lines[3] = { ...vote(0, 3), value: { s: 'quote " brace } bracket ] \\ \t', big: 1 } };
    lines[4] = { ...vote(0, 4), timestamp: 1_700_000_000_999 };
    const text = `${lines.map((l) => JSON.stringify(l)).join("\n")}\n`
      .replace('"n":0.5', '"n":5.0e-1')
      .replace('"big":1}', '"big":123456789012345678901234567890}');
    const object = await land(0, 0, 9, text);
    // Act
    const loaded = await load(object);
    // Assess: the path, and every column equal to what the dedupe path's SQL derives
    expect(loaded).toEqual({ key: object.key, status: "loaded", rowsInserted: 10, path: "copy" });
    expect(await manifestPath(object.key)).toBe("copy");
    const differences = await query(
      `with derived as (
         select l->>'topic' as topic, (l->>'partition')::integer as partition, (l->>'offset')::bigint as "offset",
                l->>'key' as record_key, (l->'value')::text as payload,
                to_timestamp((l->>'timestamp')::double precision / 1000) as kafka_ts, $2::text as source_object
         from unnest($1::text[]) as line, lateral (select line::jsonb as l) x)
       (select * from derived except
        select topic, partition, "offset", record_key, payload::text, kafka_ts, source_object from ${votesTable()} where partition = 0)
       union all
       (select topic, partition, "offset", record_key, payload::text, kafka_ts, source_object from ${votesTable()} where partition = 0
        except select * from derived)`,
      [text.trimEnd().split("\n"), object.key],
    );
    expect(differences).toHaveLength(0);
  });

  it("dedupes a batch landed again under another key (a redelivery that grew) and the same range under another hour", async () => {
    // Prepare: [100, 149] loaded
    const first = await load(
      await land(
        1,
        100,
        149,
        offsets(100, 149).map((o) => vote(1, o)),
      ),
    );
    // Act: [120, 179] (a re-landed batch with a different extent), then [100, 149] filed an hour later
    const grown = await load(
      await land(
        1,
        120,
        179,
        offsets(120, 179).map((o) => vote(1, o)),
      ),
    );
    const again = await load(
      await land(
        1,
        100,
        149,
        offsets(100, 149).map((o) => vote(1, o)),
        13,
      ),
    );
    // Assess
    expect([first.path, first.rowsInserted]).toEqual(["copy", 50]);
    expect([grown.path, grown.rowsInserted]).toEqual(["dedupe", 30]);
    expect([again.path, again.rowsInserted]).toEqual(["dedupe", 0]);
    expect(await storedOffsets(1)).toEqual(offsets(100, 179));
  });

  it("loads two overlapping objects at the same time once: one COPY, the other dedupes after it", async () => {
    for (let round = 0; round < 4; round++) {
      // Prepare: [base, base+199] and [base+100, base+299], neither loaded
      const base = 1_000 * round;
      const a = await land(
        2,
        base,
        base + 199,
        offsets(base, base + 199).map((o) => vote(2, o)),
      );
      const b = await land(
        2,
        base + 100,
        base + 299,
        offsets(base + 100, base + 299).map((o) => vote(2, o)),
      );
      // Act
      const loads = await Promise.all([load(a), load(b)]);
      // Assess: without the partition's lock both would COPY and one would roll back ("dedupe-after-copy")
      expect(loads.map((l) => l.path).sort()).toEqual(["copy", "dedupe"]);
      expect(loads.map((l) => l.rowsInserted).sort()).toEqual([100, 200]);
    }
    expect(await storedOffsets(2)).toEqual(
      [0, 1, 2, 3].flatMap((round) => offsets(1_000 * round, 1_000 * round + 299)),
    );
  });

  it("COPYs into a gap between loaded ranges, dedupes what reaches into one, and fills a batch with holes", async () => {
    // Prepare: [0, 99] and [200, 299] loaded; the gap 100–199 is empty
    const loaded = [
      await load(
        await land(
          3,
          0,
          99,
          offsets(0, 99).map((o) => vote(3, o)),
        ),
      ),
      await load(
        await land(
          3,
          200,
          299,
          offsets(200, 299).map((o) => vote(3, o)),
        ),
      ),
    ];
    // Act: inside the gap; then one reaching from the gap into [200, 299]; then a batch whose
    // records 300–399 are only the even offsets (the others quarantined), landed again whole
    const inGap = await load(
      await land(
        3,
        100,
        149,
        offsets(100, 149).map((o) => vote(3, o)),
      ),
    );
    const intoLoaded = await load(
      await land(
        3,
        150,
        249,
        offsets(150, 249).map((o) => vote(3, o)),
      ),
    );
    const holes = await load(
      await land(
        3,
        300,
        399,
        offsets(300, 399)
          .filter((o) => o % 2 === 0)
          .map((o) => vote(3, o)),
      ),
    );
    const whole = await load(
      await land(
        3,
        300,
        399,
        offsets(300, 399).map((o) => vote(3, o)),
        13,
      ),
    );
    // Assess
    expect(loaded.map((l) => l.path)).toEqual(["copy", "copy"]);
    expect([inGap.path, inGap.rowsInserted]).toEqual(["copy", 50]);
    expect([intoLoaded.path, intoLoaded.rowsInserted]).toEqual(["dedupe", 50]);
    expect([holes.path, holes.rowsInserted]).toEqual(["copy", 50]);
    expect([whole.path, whole.rowsInserted]).toEqual(["dedupe", 50]);
    expect(await storedOffsets(3)).toEqual(offsets(0, 399));
  });

  it("falls back to the dedupe path when a line lies outside its key's range", async () => {
    // Prepare: [500, 509] loaded; an object keyed [510, 519] whose lines are 505–519
    await load(
      await land(
        4,
        500,
        509,
        offsets(500, 509).map((o) => vote(4, o)),
      ),
    );
    const object = await land(
      4,
      510,
      519,
      offsets(505, 519).map((o) => vote(4, o)),
    );
    // Act
    const loaded = await load(object);
    // Assess
    expect(loaded).toMatchObject({ path: "dedupe-after-copy", rowsInserted: 10 });
    expect(loaded.fallback).toMatch(/offset 505 out of range/);
    expect(await manifestPath(object.key)).toBe("dedupe-after-copy");
    expect(await storedOffsets(4)).toEqual(offsets(500, 519));
  });

  it("counts empty lines and fails on a line that is no JSON, as before", async () => {
    // Prepare
    const good = [vote(5, 0), vote(5, 1)].map((l) => JSON.stringify(l));
    const withEmpty = await land(5, 0, 1, `${good[0]}\n\n${good[1]}\n`);
    const broken = await land(5, 2, 3, `${JSON.stringify(vote(5, 2))}\n{"topic": nope\n`);
    // Act
    const loaded = await load(withEmpty);
    const failure = await loadRaw(objectCreatedEvent([broken])).catch((error: unknown) => error);
    // Assess: rows_in_object counts the empty line as the COPY of lines did
    expect(loaded).toMatchObject({ path: "copy", rowsInserted: 2 });
    const manifest = await query<{ rows_in_object: number; rows_inserted: number }>(
      `select rows_in_object, rows_inserted from ${pgQualified(env.schema, "_load_manifest")} where object_key = $1`,
      [withEmpty.key],
    );
    expect(manifest).toEqual([{ rows_in_object: 3, rows_inserted: 2 }]);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).name).toBe("LoadError");
    expect(String((failure as Error & { cause?: unknown }).cause)).toMatch(
      /invalid input syntax for type json/,
    );
    expect(await manifestPath(broken.key)).toBeUndefined();
    expect(await storedOffsets(5)).toEqual([0, 1]);
  });

  it("records the path of every load in the manifest, for reconciliation", async () => {
    const rows = await query<{ load_path: string; objects: string }>(
      `select load_path, count(*) as objects from ${pgQualified(env.schema, "_load_manifest")} group by 1 order by 1`,
    );
    expect(rows).toEqual([
      { load_path: "copy", objects: "12" },
      { load_path: "dedupe", objects: "8" },
      { load_path: "dedupe-after-copy", objects: "1" },
    ]);
  });
});
