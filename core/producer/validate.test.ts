import { describe, expect, it } from "vitest";
import { elections } from "../datasets/elections/index.ts";
import { sales } from "../datasets/sales/index.ts";
import { stocks } from "../datasets/stocks/index.ts";
import type { Dataset, TopicSpec } from "../datasets/types.ts";
import { specsByEntity, toMessage } from "./validate.ts";

function spec(dataset: Dataset, entity: string): TopicSpec {
  const found = specsByEntity(dataset).get(entity);
  if (!found) throw new Error(`${dataset.name} has no ${entity}`);
  return found;
}

const vote = {
  voter_id: "7a0eed16-9430-4d68-901f-c0d4c1c3bf00",
  candidate_id: "cand-001",
  voting_time: "2026-11-03T15:00:00.000Z",
  state: "Ohio",
};

describe("record → Kafka message", () => {
  it("keys each topic by its natural id and sends the canonical JSON", () => {
    // Act
    const votes = toMessage(spec(elections, "votes"), vote);
    const price = toMessage(spec(stocks, "prices"), { symbol: "IBM", date: "Jan 1 2000", price: "100.5" });
    const candidate = toMessage(spec(elections, "candidates"), {
      candidate_id: "c1",
      candidate_name: "A",
      party: "P",
    });

    // Assess
    expect(votes).toEqual({
      ok: true,
      topic: "elections.votes",
      key: vote.voter_id,
      value: JSON.stringify({ ...vote, vote: 1 }),
    });
    expect(price).toMatchObject({ ok: true, key: "IBM|2000-01-01T00:00:00.000Z" });
    expect(JSON.parse((price as { value: string }).value).price).toBe(100.5);
    expect(candidate).toMatchObject({ ok: true, key: "c1" });
  });

  it("keys Superstore rows by Row ID, as a string", () => {
    // Prepare
    const row = {
      "Row ID": "42",
      "Order ID": "CA-1",
      "Order Date": "2016-11-08",
      "Ship Date": "2016-11-11",
      "Ship Mode": "Second Class",
      "Customer ID": "CG-1",
      "Customer Name": "C G",
      Segment: "Consumer",
      Country: "United States",
      City: "Henderson",
      State: "Kentucky",
      "Postal Code": "04240",
      Region: "South",
      "Product ID": "P-1",
      Category: "Furniture",
      "Sub-Category": "Chairs",
      "Product Name": "Chair",
      Sales: "1.5",
      Quantity: "2",
      Discount: "0",
      Profit: "-0.25",
    };

    // Act
    const message = toMessage(spec(sales, "orders"), row);

    // Assess
    expect(message).toMatchObject({ ok: true, key: "42" });
    expect(JSON.parse((message as { value: string }).value)).toMatchObject({
      "Postal Code": "04240",
      Sales: 1.5,
      Profit: -0.25,
    });
  });

  it("says which field is wrong when a record is invalid", () => {
    // Act
    const missingKey = toMessage(spec(elections, "votes"), { ...vote, voter_id: undefined });
    const wrongType = toMessage(spec(stocks, "prices"), {
      symbol: "IBM",
      ts: "2026-01-01T00:00:00Z",
      price: "cheap",
    });
    const notAnObject = toMessage(spec(elections, "votes"), "hello");

    // Assess
    expect(missingKey).toMatchObject({ ok: false, reason: expect.stringMatching(/^voter_id: /) });
    expect(wrongType).toMatchObject({ ok: false, reason: expect.stringMatching(/^price: /) });
    expect(notAnObject).toMatchObject({ ok: false, reason: expect.stringMatching(/^\(record\): /) });
  });
});
