import { describe, expect, it } from "vitest";
import { specsByEntity, toMessage } from "../../producer/validate.ts";
import { generateTicks } from "./generator.ts";
import { stocks } from "./index.ts";
import { STOCKS_CSV_ROWS, stocksCsvSource, tickSource } from "./source.ts";

const spec = specsByEntity(stocks).get("prices");

function validate(values: unknown[]): { keys: string[]; reasons: string[] } {
  if (!spec) throw new Error("stocks has a prices topic");
  const keys: string[] = [];
  const reasons: string[] = [];
  for (const value of values) {
    const message = toMessage(spec, value);
    if (message.ok) keys.push(message.key);
    else reasons.push(message.reason);
  }
  return { keys, reasons };
}

describe("stocks sources", () => {
  it("replays vega-datasets' stocks.csv, every row valid and keyed symbol|ts", async () => {
    // Act
    const values: unknown[] = [];
    for await (const record of stocksCsvSource().records) values.push(record.value);
    const { keys, reasons } = validate(values);

    // Assess
    expect(reasons).toEqual([]);
    expect(keys).toHaveLength(STOCKS_CSV_ROWS);
    expect(keys[0]).toBe("MSFT|2000-01-01T00:00:00.000Z");
    expect(new Set(keys).size).toBe(STOCKS_CSV_ROWS);
  });

  it("generates the same ticks for the same seed, at a fixed step, all valid", () => {
    // Prepare
    const options = { count: 500, seed: 9, start: Date.parse("2026-01-02T14:30:00Z"), stepMs: 60_000 };

    // Act
    const ticks = [...generateTicks(options)];
    const again = [...generateTicks(options)];
    const other = [...generateTicks({ ...options, seed: 10 })];
    const { keys, reasons } = validate(ticks);

    // Assess
    expect(again).toEqual(ticks);
    expect(other).not.toEqual(ticks);
    expect(reasons).toEqual([]);
    expect(new Set(keys).size).toBe(500);
    const msft = ticks.filter((t) => t.symbol === "MSFT").map((t) => Date.parse(t.ts));
    expect(msft.slice(1).map((t, i) => t - (msft[i] as number))).toEqual(Array(msft.length - 1).fill(60_000));
    expect(ticks.every((t) => t.volume > 0)).toBe(true);
  });

  it("produces --count ticks from the generator source", async () => {
    // Act
    let n = 0;
    for await (const _ of tickSource({ count: 42, seed: 1 }).records) n++;

    // Assess
    expect(n).toBe(42);
    expect(stocks.sources?.defaultKind({ count: 42 })).toBe("generator");
    expect(stocks.sources?.defaultKind({})).toBe("file");
  });
});
