import { describe, expect, it } from "vitest";
import { handleRequest } from "./router.ts";
import { cadenceOf } from "./stocks.ts";

const get = (path: string, query: Record<string, string> = {}) =>
  handleRequest({ method: "GET", path, query });

describe("dashboard API router", () => {
  it("answers only GET and HEAD: anything else is 405 with an Allow header", async () => {
    // Act
    const response = await handleRequest({ method: "POST", path: "/api/live", query: {} });

    // Assess
    expect(response.status).toBe(405);
    expect(response.headers.allow).toBe("GET, HEAD");
    expect(JSON.parse(response.body).error).toMatch(/read-only/);
  });

  it("answers 404 in JSON for a path no route serves", async () => {
    const response = await get("/api/tables/raw.elections_votes");

    expect(response.status).toBe(404);
    expect(response.headers["content-type"]).toMatch(/application\/json/);
  });

  it("refuses a stock symbol that isn't a ticker before anything reaches the warehouse", async () => {
    const missing = await get("/api/stocks/prices");
    const injected = await get("/api/stocks/prices", { symbol: "AAPL' or 1=1 --" });

    expect(missing.status).toBe(400);
    expect(injected.status).toBe(400);
    expect(JSON.parse(injected.body).error).toMatch(/not a ticker symbol/);
  });

  it("refuses a stock series other than real or generated before anything reaches the warehouse", async () => {
    const response = await get("/api/stocks/prices", { symbol: "AAPL", series: "mixed" });

    expect(response.status).toBe(400);
    expect(JSON.parse(response.body).error).toMatch(/real or generated/);
  });

  it("calls a series with a close a month monthly, not daily (regression: the monthly file was labelled daily)", () => {
    expect(cadenceOf(123, "2000-01-01", "2010-03-01")).toBe("monthly");
    expect(cadenceOf(30, "2026-11-01", "2026-11-30")).toBe("daily");
    expect(cadenceOf(1, "2026-11-01", "2026-11-01")).toBe("daily");
  });

  it("serves health without any store and marks every answer uncacheable", async () => {
    const response = await get("/api/health/");

    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ ok: true });
    expect(response.headers["cache-control"]).toBe("no-store");
  });

  it("treats a run id that no execution name could be as not found", async () => {
    const response = await get(`/api/runs/${encodeURIComponent("../../etc/passwd")}`);

    expect(response.status).toBe(404);
  });

  it("says records per stage are not available where STAGE_COUNTS=off (AWS: no Kafka access)", async () => {
    // Prepare
    process.env.STAGE_COUNTS = "off";
    try {
      // Act
      const response = await get("/api/stages");

      // Assess
      expect(response.status).toBe(200);
      expect(JSON.parse(response.body)).toMatchObject({ available: false });
    } finally {
      delete process.env.STAGE_COUNTS;
    }
  });

  it("reports a Snowflake warehouse without its secret as unavailable, in one sentence", async () => {
    process.env.WAREHOUSE_TARGET = "snowflake";
    delete process.env.SNOWFLAKE_SECRET_ID;
    try {
      const response = await get("/api/sales");

      expect(response.status).toBe(503);
      expect(JSON.parse(response.body).error).toMatch(/needs SNOWFLAKE_SECRET_ID/);
    } finally {
      delete process.env.WAREHOUSE_TARGET;
    }
  });
});
