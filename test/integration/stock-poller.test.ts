import { afterAll, describe, expect, it } from "vitest";
import { loadConfig, useLocalAwsEnv } from "../../core/config/index.ts";
import { stocks } from "../../core/datasets/stocks/index.ts";
import { createKafka } from "../../core/kafka/client.ts";
import { ensureDatasetTopics } from "../../core/producer/produce-dataset.ts";
import { closeProducer, handler } from "../../lambdas/stock-poller/index.ts";
import { consumeRange, highWatermarks } from "./ingest-helpers.ts";

describe("stock-poller (scheduled) → stocks.prices, offline source", () => {
  useLocalAwsEnv();
  const config = loadConfig();
  const topic = "stocks.prices";

  afterAll(async () => {
    delete process.env.STOCK_POLLER_SOURCE;
    await closeProducer();
  });

  it("produces one generated tick per symbol for the polled minute", async () => {
    // Prepare: a scheduled event for a minute no other test polls (the topic is shared).
    delete process.env.QUOTES_API_URL;
    process.env.STOCK_POLLER_SOURCE = "generator";
    await ensureDatasetTopics(config, stocks);
    const admin = createKafka(config.kafka, "-it-admin").admin();
    await admin.connect();
    const before = await highWatermarks(admin, [topic]);
    const minute = new Date(Date.UTC(2001, 0, 1, 0, Math.floor(Math.random() * 1440)));

    // Act
    const result = await handler({ time: new Date(minute.getTime() + 5_000).toISOString() });
    const after = await highWatermarks(admin, [topic]);
    await admin.disconnect();
    const batches = await consumeRange(config, before, after);

    // Assess
    expect(result).toMatchObject({ produced: 5, invalid: 0 });
    const mine = batches
      .flatMap((b) => b.messages)
      .filter((m) => m.key?.toString().endsWith(`|${minute.toISOString()}`));
    expect(mine.map((m) => m.key?.toString().split("|")[0]).sort()).toEqual([
      "AAPL",
      "AMZN",
      "GOOG",
      "IBM",
      "MSFT",
    ]);
    expect(mine.every((m) => m.headers?.source?.toString() === "generator")).toBe(true);
  });
});
