import { describe, expect, it } from "vitest";
import { batchObjectKey, dayPrefixes, LakeKeyError, padOffset, parseBatchKey } from "./keys.ts";

const batch = {
  area: "raw" as const,
  dataset: "elections",
  entity: "votes",
  partition: 2,
  firstOffset: 7,
  lastOffset: 10_006,
  firstTimestampMs: Date.parse("2026-11-05T09:59:59.999Z"),
};

describe("batch object keys", () => {
  it("lays out dataset, entity, dt/hr (UTC), partition and zero-padded offsets", () => {
    // Act
    const key = batchObjectKey(batch);
    // Assess
    expect(key).toBe(
      "raw/elections/votes/dt=2026-11-05/hr=09/p=2/00000000000000000007-00000000000000010006.ndjson.gz",
    );
  });

  it("is deterministic: the same batch always gets the same key", () => {
    expect(batchObjectKey({ ...batch })).toBe(batchObjectKey(batch));
  });

  it("sorts keys in offset order thanks to the padding", () => {
    // Prepare
    const keys = [9, 10, 100, 2].map((first) =>
      batchObjectKey({ ...batch, firstOffset: first, lastOffset: first }),
    );
    // Act
    const sorted = [...keys].sort();
    // Assess
    expect(sorted.map((k) => parseBatchKey(k)?.firstOffset)).toEqual([2n, 9n, 10n, 100n]);
  });

  it("pads to 20 digits, the width of the largest 64-bit offset", () => {
    expect(padOffset(0)).toBe("00000000000000000000");
    expect(padOffset("9223372036854775807")).toBe("09223372036854775807");
    expect(() => padOffset(-1)).toThrow(LakeKeyError);
  });

  it("uses the hour of midnight and the day boundary in UTC", () => {
    const key = batchObjectKey({ ...batch, firstTimestampMs: Date.parse("2026-12-31T23:00:00+02:00") });
    expect(key).toContain("/dt=2026-12-31/hr=21/");
  });

  it("parses its own keys back and rejects others", () => {
    // Prepare
    const key = batchObjectKey({ ...batch, area: "quarantine" });
    // Act
    const parsed = parseBatchKey(key);
    // Assess
    expect(parsed).toEqual({
      area: "quarantine",
      dataset: "elections",
      entity: "votes",
      dt: "2026-11-05",
      hr: "09",
      partition: 2,
      firstOffset: 7n,
      lastOffset: 10_006n,
    });
    expect(parseBatchKey("incoming/sales/superstore.csv")).toBeUndefined();
    expect(parseBatchKey("raw/elections/votes/dt=2026-11-05/hr=09/p=2/7-10006.ndjson.gz")).toBeUndefined();
  });

  it("refuses segments that would change the key's structure", () => {
    expect(() => batchObjectKey({ ...batch, entity: "votes/../x" })).toThrow(LakeKeyError);
    expect(() => batchObjectKey({ ...batch, partition: -1 })).toThrow(LakeKeyError);
  });

  it("lists the days of a range inclusively", () => {
    expect(dayPrefixes("2026-02-27", "2026-03-01")).toEqual(["2026-02-27", "2026-02-28", "2026-03-01"]);
    expect(() => dayPrefixes("2026-03-02", "2026-03-01")).toThrow(LakeKeyError);
  });
});
