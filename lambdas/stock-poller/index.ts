/**
 * stock-poller (EventBridge Scheduler, e.g. every minute): produces prices to `stocks.prices`
 * from the source `STOCK_POLLER_SOURCE` names — `off` (the default without a `QUOTES_API_URL`: nothing, so the real
 * history is never mixed with made-up prices unless asked), `generator` (the seeded ticks,
 * marked `source: generator`) or `api` (the quotes API at `QUOTES_API_URL`). Invalid quotes
 * are logged and counted, not sent.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { loadConfig } from "../../core/config/index.ts";
import { DEFAULT_SYMBOLS } from "../../core/datasets/stocks/generator.ts";
import { stocks } from "../../core/datasets/stocks/index.ts";
import { connectProducer, createKafka, type Producer } from "../../core/kafka/client.ts";
import { type ProduceResult, produceRecords } from "../../core/producer/produce.ts";
import { StockPollerConfigError } from "./errors.ts";
import { ticksForPoll } from "./offline-ticks.ts";
import { fetchQuotes } from "./quotes-api.ts";

const logger = new Logger({ serviceName: "stock-poller" });
const metrics = new Metrics({ namespace: "Pipeline", serviceName: "stock-poller" });

let producer: Promise<Producer> | undefined;

export async function handler(event?: { time?: string }): Promise<ProduceResult> {
  const env = process.env;
  const config = loadConfig();
  const symbols = (env.STOCK_SYMBOLS ?? Object.keys(DEFAULT_SYMBOLS).join(",")).split(",").filter(Boolean);
  const now = event?.time ? Date.parse(event.time) : Date.now();
  const source = pollerSource(env);
  if (source === "off") {
    logger.info("stock poller off (STOCK_POLLER_SOURCE=off): nothing produced");
    return { read: 0, produced: 0, invalid: 0, producedByTopic: {}, invalidByReason: {} };
  }
  const url = source === "api" ? (env.QUOTES_API_URL as string) : undefined;
  const values = url
    ? await fetchQuotes(url, symbols)
    : ticksForPoll(now, Number(env.POLL_INTERVAL_MS ?? 60_000), Number(env.TICK_SEED ?? 42));
  producer ??= connectProducer(createKafka(config.kafka, "-stock-poller"));
  const result = await produceRecords(
    await producer,
    stocks,
    values.map((value) => ({ entity: "prices", value })),
    {
      source: url ? "api" : "generator",
      onInvalid: (invalid) => logger.warn("invalid quote", { reason: invalid.reason, value: invalid.value }),
    },
  );
  logger.info("prices produced", {
    produced: result.produced,
    invalid: result.invalid,
    source: url ? "api" : "generator",
  });
  metrics.addMetric("PricesProduced", MetricUnit.Count, result.produced);
  metrics.addMetric("PricesInvalid", MetricUnit.Count, result.invalid);
  metrics.publishStoredMetrics();
  return result;
}

/** The configured source; `api` without a `QUOTES_API_URL` (or an unknown name) is a configuration error. */
export function pollerSource(env: Record<string, string | undefined>): "off" | "generator" | "api" {
  const source = env.STOCK_POLLER_SOURCE ?? (env.QUOTES_API_URL ? "api" : "off");
  if (source !== "off" && source !== "generator" && source !== "api") {
    throw new StockPollerConfigError(`STOCK_POLLER_SOURCE must be off, generator or api, got "${source}"`);
  }
  if (source === "api" && !env.QUOTES_API_URL) {
    throw new StockPollerConfigError("STOCK_POLLER_SOURCE=api needs QUOTES_API_URL");
  }
  return source;
}

/** Disconnects the container's producer (the local runtime's shutdown, tests). */
export async function closeProducer(): Promise<void> {
  const current = producer;
  producer = undefined;
  await (await current)?.disconnect();
}
