import { describe, expect, it } from "vitest";
import { type OffsetRange, OffsetSet } from "./offset-set.ts";
import { reconcileTopic, type StageData } from "./verdict.ts";

const sets = (entries: Record<number, OffsetRange[]>) =>
  new Map(Object.entries(entries).map(([p, ranges]) => [Number(p), OffsetSet.of(ranges)]));

/** A topic of two partitions, 10 + 5 records, everything landed (one quarantined) and loaded. */
function stages(overrides: Partial<StageData> = {}): StageData {
  return {
    dataset: "elections",
    entity: "votes",
    topic: "elections.votes",
    kafka: [
      { partition: 0, low: 0, high: 10 },
      { partition: 1, low: 0, high: 5 },
    ],
    lake: {
      landed: sets({ 0: [{ from: 0, to: 9 }], 1: [{ from: 0, to: 3 }] }),
      quarantined: sets({ 1: [{ from: 4, to: 4 }] }),
      quarantinedByReason: { "invalid-json": 1 },
      landedLines: 14,
      landedObjects: 2,
      quarantinedLines: 1,
      quarantinedObjects: 1,
    },
    warehouse: {
      table: "raw.elections_votes",
      rows: sets({ 0: [{ from: 0, to: 9 }], 1: [{ from: 0, to: 3 }] }),
      distinctKeys: 12,
    },
    staging: { view: "analytics.stg_elections__votes", rows: 12 },
    ...overrides,
  };
}

describe("reconcileTopic", () => {
  it("reconciles when every record is landed or quarantined, loaded, and staged once per key", () => {
    // Act
    const result = reconcileTopic(stages());
    // Assess
    expect(result.reconciled).toBe(true);
    expect(result.issues).toEqual([]);
    expect(result.kafka.records).toBe(15);
    expect(result.landed).toEqual({ records: 14, lines: 14, objects: 2 });
    expect(result.quarantined.records).toBe(1);
    expect(result.raw.rows).toBe(14);
    expect([result.lost, result.duplicated]).toEqual([0, 2]);
  });

  it("counts a batch landed twice under two keys once (lines exceed records, no issue)", () => {
    // Prepare: the readers collapse the overlap into the same offsets; only the line count shows it.
    const data = stages();
    const result = reconcileTopic({ ...data, lake: { ...data.lake, landedLines: 20, landedObjects: 3 } });
    // Assess
    expect(result.reconciled).toBe(true);
    expect(result.landed).toEqual({ records: 14, lines: 20, objects: 3 });
  });

  it("names the partition and offset ranges Kafka has but the lake doesn't", () => {
    // Prepare: partition 0 lost offsets 3-4 and 8 between Kafka and S3.
    const data = stages();
    const landed = sets({
      0: [
        { from: 0, to: 2 },
        { from: 5, to: 7 },
        { from: 9, to: 9 },
      ],
      1: [{ from: 0, to: 3 }],
    });
    // Act
    const result = reconcileTopic({
      ...data,
      lake: { ...data.lake, landed },
      warehouse: { ...data.warehouse, rows: landed },
    });
    // Assess
    expect(result.reconciled).toBe(false);
    expect(result.lost).toBe(3);
    expect(result.issues).toEqual([
      expect.objectContaining({
        stage: "lake",
        kind: "not-landed",
        partition: 0,
        count: 3,
        ranges: [
          { from: 3, to: 4 },
          { from: 8, to: 8 },
        ],
      }),
    ]);
  });

  it("reports records landed but not loaded, and rows the lake doesn't have", () => {
    const data = stages();
    const rows = sets({ 0: [{ from: 0, to: 7 }], 1: [{ from: 0, to: 3 }], 2: [{ from: 0, to: 0 }] });
    const result = reconcileTopic({ ...data, warehouse: { ...data.warehouse, rows }, staging: undefined });
    expect(result.issues.map((i) => [i.stage, i.kind, i.partition, i.count])).toEqual([
      ["warehouse", "not-loaded", 0, 2],
      ["warehouse", "not-in-lake", 2, 1],
    ]);
  });

  it("reports a record both landed and quarantined, and lake offsets beyond Kafka's end", () => {
    const data = stages();
    const quarantined = sets({ 0: [{ from: 9, to: 9 }], 1: [{ from: 4, to: 6 }] });
    const result = reconcileTopic({ ...data, lake: { ...data.lake, quarantined } });
    expect(result.issues.map((i) => [i.kind, i.partition, i.ranges])).toEqual([
      ["landed-and-quarantined", 0, [{ from: 9, to: 9 }]],
      ["unknown-to-kafka", 1, [{ from: 5, to: 6 }]],
    ]);
  });

  it("accepts records landed before Kafka's retention removed them, and counts them", () => {
    const data = stages({
      kafka: [
        { partition: 0, low: 6, high: 10 },
        { partition: 1, low: 0, high: 5 },
      ],
    });
    const result = reconcileTopic(data);
    expect(result.reconciled).toBe(true);
    expect(result.expiredFromKafka).toBe(6);
    expect(result.kafka.records).toBe(9);
  });

  it("reports staging that is not one row per raw key, and a staging view not built yet without failing", () => {
    const wrong = reconcileTopic(stages({ staging: { view: "analytics.stg_elections__votes", rows: 11 } }));
    expect(wrong.issues).toEqual([
      expect.objectContaining({ stage: "staging", kind: "staging-mismatch", count: 1 }),
    ]);
    const absent = reconcileTopic(stages({ staging: undefined }));
    expect(absent.reconciled).toBe(true);
    expect(absent.staging).toEqual({ built: false });
  });

  it("treats a missing topic as holding nothing: everything in the lake is unknown to Kafka", () => {
    const result = reconcileTopic(stages({ kafka: undefined }));
    expect(result.kafka).toEqual({ exists: false, records: 0, partitions: [] });
    expect(result.issues.filter((i) => i.kind === "unknown-to-kafka").map((i) => i.count)).toEqual([10, 5]);
  });
});
