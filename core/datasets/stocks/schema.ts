/**
 * Stocks: one price observation per record. Monthly closes from vega-datasets'
 * stocks.csv (`symbol,date,price` with dates like "Jan 1 2000") and ticks from the
 * generator or a quotes API share this shape; `date` is accepted as an alias of `ts`.
 */
import { z } from "zod";

export const priceSchema = z.preprocess(
  // Accept `date` (the CSV's column) as an alias of `ts`, in any format Date understands.
  (input) => {
    if (typeof input !== "object" || input === null) return input;
    const { date, ts, ...rest } = input as Record<string, unknown>;
    return { ...rest, ts: ts ?? toIsoTimestamp(date) };
  },
  z.object({
    symbol: z
      .string()
      .regex(/^[A-Z][A-Z0-9.-]{0,9}$/, "ticker symbol: 1-10 upper-case letters, digits, '.' or '-'"),
    ts: z.iso.datetime({ offset: true }),
    price: z.coerce.number().positive().finite(),
    volume: z.coerce.number().int().nonnegative().optional(),
    source: z.enum(["monthly-csv", "generator", "api"]).optional(),
  }),
);
export type Price = z.output<typeof priceSchema>;

/** "Jan 1 2000" → "2000-01-01T00:00:00.000Z"; anything unparseable is passed on for zod to reject. */
function toIsoTimestamp(value: unknown): unknown {
  if (typeof value !== "string") return value;
  const parsed = new Date(`${value} UTC`);
  return Number.isNaN(parsed.getTime()) ? value : parsed.toISOString();
}
