import { describe, expect, it } from "vitest";
import { datasets } from "../datasets/index.ts";
import { stagingViewFor } from "./readers.ts";

describe("stagingViewFor", () => {
  it("finds the dbt staging model reading each raw table", () => {
    // Act
    const views = datasets.flatMap((d) => d.topics.map((t) => [t.topic, stagingViewFor(d.name, t.rawTable)]));
    // Assess
    expect(Object.fromEntries(views)).toEqual({
      "elections.candidates": "stg_elections__candidates",
      "elections.voters": "stg_elections__voters",
      "elections.votes": "stg_elections__votes",
      "sales.orders": "stg_sales__order_lines",
      "stocks.prices": "stg_stocks__prices",
    });
  });

  it("returns undefined when no model reads the table", () => {
    expect(stagingViewFor("sales", "no_such_table")).toBeUndefined();
    expect(stagingViewFor("no-such-dataset", "sales_orders")).toBeUndefined();
  });
});
