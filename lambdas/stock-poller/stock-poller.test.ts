import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { priceSchema } from "../../core/datasets/stocks/schema.ts";
import { QuotesApiError, StockPollerConfigError } from "./errors.ts";
import { handler, pollerSource } from "./index.ts";
import { ticksForPoll } from "./offline-ticks.ts";
import { fetchQuotes, parseQuotes } from "./quotes-api.ts";

describe("stock poller offline source", () => {
  it("emits the last interval's ticks, one per symbol, continuing the same walk poll after poll", () => {
    // Prepare
    const minute = 60_000;
    const now = Date.parse("2026-11-22T10:30:20Z");

    // Act
    const first = ticksForPoll(now, minute, 42);
    const again = ticksForPoll(now, minute, 42);
    const next = ticksForPoll(now + minute, minute, 42);

    // Assess
    expect(first.map((t) => t.ts)).toEqual(Array(5).fill("2026-11-22T10:30:00.000Z"));
    expect(again).toEqual(first);
    expect(next.map((t) => t.ts)).toEqual(Array(5).fill("2026-11-22T10:31:00.000Z"));
    for (const tick of [...first, ...next]) expect(priceSchema.safeParse(tick).success).toBe(true);
  });
});

describe("quotes API client", () => {
  it("reads both answer shapes and epoch or ISO timestamps", () => {
    // Act
    const fromArray = parseQuotes([{ symbol: "AAPL", price: 1.5, timestamp: 1_795_000_000 }]);
    const fromObject = parseQuotes({
      quotes: [{ symbol: "MSFT", price: "2", ts: "2026-11-22T10:00:00Z", volume: 7 }],
    });

    // Assess
    expect(fromArray).toEqual([
      {
        symbol: "AAPL",
        price: 1.5,
        ts: new Date(1_795_000_000_000).toISOString(),
        volume: undefined,
        source: "api",
      },
    ]);
    expect(priceSchema.parse(fromObject[0])).toEqual({
      symbol: "MSFT",
      price: 2,
      ts: "2026-11-22T10:00:00.000Z",
      volume: 7,
      source: "api",
    });
    expect(() => parseQuotes({ error: "nope" })).toThrow(QuotesApiError);
  });

  it("asks for the symbols over HTTP", async () => {
    // Prepare: a local HTTP server answering like a quotes API.
    const asked: string[] = [];
    const server = createServer((req, res) => {
      asked.push(new URL(req.url ?? "/", "http://x").searchParams.get("symbols") ?? "");
      res.end(JSON.stringify([{ symbol: "IBM", price: 100, ts: "2026-11-22T10:00:00Z" }]));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/quotes`;

    try {
      // Act
      const quotes = await fetchQuotes(url, ["IBM", "AAPL"]);

      // Assess
      expect(asked).toEqual(["IBM,AAPL"]);
      expect(quotes.map((q) => q.symbol)).toEqual(["IBM"]);
    } finally {
      server.close();
    }
  });
});

describe("stock poller source", () => {
  it("is off unless configured, and then produces nothing (regression: generated ticks appended to the real history every minute)", async () => {
    // Prepare
    const saved = { source: process.env.STOCK_POLLER_SOURCE, url: process.env.QUOTES_API_URL };
    delete process.env.STOCK_POLLER_SOURCE;
    delete process.env.QUOTES_API_URL;

    // Act: no broker is reachable from a unit test, so producing anything would fail.
    const result = await handler({ time: "2026-12-01T10:00:05Z" }).finally(() => {
      if (saved.source !== undefined) process.env.STOCK_POLLER_SOURCE = saved.source;
      if (saved.url !== undefined) process.env.QUOTES_API_URL = saved.url;
    });

    // Assess
    expect(result).toMatchObject({ read: 0, produced: 0, invalid: 0 });
  });

  it("takes the configured source, the API when only a URL is given, and refuses nonsense", () => {
    expect(pollerSource({})).toBe("off");
    expect(pollerSource({ STOCK_POLLER_SOURCE: "generator" })).toBe("generator");
    expect(pollerSource({ QUOTES_API_URL: "https://quotes.example" })).toBe("api");
    expect(() => pollerSource({ STOCK_POLLER_SOURCE: "api" })).toThrow(StockPollerConfigError);
    expect(() => pollerSource({ STOCK_POLLER_SOURCE: "on" })).toThrow(/off, generator or api/);
  });
});
