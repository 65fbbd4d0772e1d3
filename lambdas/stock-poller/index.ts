/**
 * stock-poller (EventBridge Scheduler, e.g. every minute): polls the quotes API when
 * `QUOTES_API_URL` is set, otherwise takes the seeded tick generator as its offline source,
 * and produces the prices to `stocks.prices`. Invalid quotes are logged and counted, not sent.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { loadConfig } from "../../core/config/index.ts";
import { DEFAULT_SYMBOLS } from "../../core/datasets/stocks/generator.ts";
import { stocks } from "../../core/datasets/stocks/index.ts";
import { connectProducer, createKafka, type Producer } from "../../core/kafka/client.ts";
import { type ProduceResult, produceRecords } from "../../core/producer/produce.ts";
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
  const url = env.QUOTES_API_URL;
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

/** Disconnects the container's producer (the local runtime's shutdown, tests). */
export async function closeProducer(): Promise<void> {
  const current = producer;
  producer = undefined;
  await (await current)?.disconnect();
}
