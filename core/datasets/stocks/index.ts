import { type Dataset, defineTopic } from "../types.ts";
import { priceSchema } from "./schema.ts";
import { stocksSources } from "./source.ts";

export const stocks: Dataset = {
  name: "stocks",
  description: "Stock prices: vega-datasets monthly closes, generated ticks, or a quotes API.",
  schemaVersion: 1,
  sources: stocksSources,
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
