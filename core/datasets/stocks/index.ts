import { type Dataset, defineTopic } from "../types.ts";
import { priceSchema } from "./schema.ts";

export const stocks: Dataset = {
  name: "stocks",
  description: "Stock prices: vega-datasets monthly closes, generated ticks, or a quotes API.",
  schemaVersion: 1,
  topics: [
    defineTopic({
      entity: "prices",
      topic: "stocks.prices",
      rawTable: "stocks_prices",
      partitions: 3,
      schema: priceSchema,
      key: (p) => `${p.symbol}|${p.ts}`,
      eventTime: (p) => p.ts,
    }),
  ],
};

export * from "./schema.ts";
