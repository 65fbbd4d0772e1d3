import { describe, expect, it } from "vitest";
import { datasets } from "../../core/datasets/index.ts";
import { UnroutableFileError } from "./errors.ts";
import { resolveTarget } from "./target.ts";

describe("file key → dataset and topic", () => {
  it("routes a single-topic dataset with or without the entity folder", () => {
    // Act
    const plain = resolveTarget("incoming/sales/superstore.csv", datasets);
    const withEntity = resolveTarget("incoming/sales/orders/x.ndjson", datasets);

    // Assess
    expect([plain.dataset.name, plain.spec.topic, plain.format]).toEqual(["sales", "sales.orders", "csv"]);
    expect([withEntity.spec.topic, withEntity.format]).toEqual(["sales.orders", "ndjson"]);
  });

  it("needs the entity folder for a dataset with several topics", () => {
    // Act / Assess
    expect(resolveTarget("incoming/elections/votes/v.jsonl", datasets).spec.topic).toBe("elections.votes");
    expect(() => resolveTarget("incoming/elections/v.csv", datasets)).toThrow(/several entities/);
  });

  it("refuses keys it can't route, saying why", () => {
    // Act / Assess
    expect(() => resolveTarget("incoming/nope/x.csv", datasets)).toThrow(UnroutableFileError);
    expect(() => resolveTarget("incoming/sales/x.parquet", datasets)).toThrow(
      /only .csv, .ndjson and .jsonl/,
    );
    expect(() => resolveTarget("incoming/elections/ballots/x.csv", datasets)).toThrow(/no entity "ballots"/);
    expect(() => resolveTarget("raw/sales/x.csv", datasets)).toThrow(/not under incoming/);
  });
});
