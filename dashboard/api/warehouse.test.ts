import { describe, expect, it } from "vitest";
import { toSnowflake } from "../../core/warehouse/reader.ts";
import { day, num } from "./warehouse.ts";

describe("gold-layer query helpers", () => {
  it("turns PostgreSQL binds into Snowflake's positional ones", () => {
    expect(toSnowflake("select * from ANALYTICS.T where symbol = $1 and x = $12")).toBe(
      "select * from ANALYTICS.T where symbol = :1 and x = :12",
    );
  });

  it("answers numbers for numeric strings and dates as YYYY-MM-DD", () => {
    expect(num("2297200.86")).toBe(2297200.86);
    expect(num(null)).toBeNull();
    expect(num("n/a")).toBeNull();
    expect(day(new Date("2014-03-01T00:00:00Z"))).toBe("2014-03-01");
    expect(day("2014-03-01")).toBe("2014-03-01");
  });
});
