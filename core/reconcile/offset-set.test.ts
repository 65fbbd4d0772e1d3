import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { OffsetSet } from "./offset-set.ts";

describe("OffsetSet", () => {
  it("merges adjacent and overlapping ranges, in any insertion order", () => {
    // Prepare
    const set = new OffsetSet();
    // Act
    set.addRange(10, 19);
    set.addRange(0, 4);
    set.addRange(5, 5);
    set.addRange(30, 30);
    set.addRange(15, 25);
    // Assess
    expect(set.ranges()).toEqual([
      { from: 0, to: 5 },
      { from: 10, to: 25 },
      { from: 30, to: 30 },
    ]);
    expect(set.size).toBe(23);
    expect(set.add(12)).toBe(false);
    expect(set.add(26)).toBe(true);
  });

  it("computes differences and intersections of ranges", () => {
    const a = OffsetSet.of([{ from: 0, to: 99 }]);
    const b = OffsetSet.of([
      { from: 10, to: 19 },
      { from: 50, to: 120 },
    ]);
    expect(a.minus(b).ranges()).toEqual([
      { from: 0, to: 9 },
      { from: 20, to: 49 },
    ]);
    expect(a.intersect(b).size).toBe(60);
    expect(b.minus(a).ranges()).toEqual([{ from: 100, to: 120 }]);
  });

  it("behaves like a plain Set of numbers (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 100 }),
        fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 100 }),
        (xs, ys) => {
          const a = new OffsetSet();
          for (const x of xs) a.add(x);
          const b = OffsetSet.of(ys.map((y) => ({ from: y, to: y })));
          const plainA = new Set(xs);
          const plainB = new Set(ys);
          const expected = [...plainA].filter((x) => !plainB.has(x)).sort((p, q) => p - q);
          const actual = a
            .minus(b)
            .ranges()
            .flatMap((r) => Array.from({ length: r.to - r.from + 1 }, (_, i) => r.from + i));
          expect(a.size).toBe(plainA.size);
          expect(actual).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});
