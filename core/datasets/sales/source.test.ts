import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { specsByEntity, toMessage } from "../../producer/validate.ts";
import { orderLineSchema, sales } from "./index.ts";
import { SUPERSTORE_ROWS, superstorePath, superstoreSource } from "./source.ts";

describe("Superstore source", () => {
  it("replays all 9,994 rows in file order, every one valid", async () => {
    // Prepare
    const spec = specsByEntity(sales).get("orders");
    if (!spec) throw new Error("sales has an orders topic");

    // Act
    const keys: string[] = [];
    const reasons: string[] = [];
    for await (const record of superstoreSource().records) {
      const message = toMessage(spec, record.value);
      if (message.ok) keys.push(message.key);
      else reasons.push(message.reason);
    }

    // Assess
    expect(reasons).toEqual([]);
    expect(keys).toHaveLength(SUPERSTORE_ROWS);
    expect(keys.slice(0, 3)).toEqual(["1", "2", "3"]);
    expect(keys.at(-1)).toBe(String(SUPERSTORE_ROWS));
  });

  it("keeps Postal Code as the file has it (digits, no padding added)", async () => {
    // Prepare: the file's own 12th column of its first rows.
    const lines = readFileSync(superstorePath(), "utf8").split("\n").slice(1, 6);
    const fromFile = lines.map((line) => line.split(",")[11]);

    // Act
    const fromSource: unknown[] = [];
    for await (const record of superstoreSource({ count: 5 }).records) {
      fromSource.push(orderLineSchema.parse(record.value)["Postal Code"]);
    }

    // Assess
    expect(fromSource).toEqual(fromFile);
  });

  it("stops after --count rows", async () => {
    // Act
    const source = superstoreSource({ count: 10 });
    let n = 0;
    for await (const _ of source.records) n++;

    // Assess
    expect(n).toBe(10);
    expect(source.expectedCount).toBe(10);
  });
});
