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

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

/**
 * "Jan 1 2000" → "2000-01-01T00:00:00.000Z" (stocks.csv's format), checked so that a date
 * that doesn't exist ("Feb 30") is refused instead of rolled over; other strings are
 * passed on for zod to judge.
 */
function toIsoTimestamp(value: unknown): unknown {
  if (typeof value !== "string") return value;
  const match = /^([A-Za-z]{3})\s+(\d{1,2})\s+(\d{4})$/.exec(value.trim());
  if (!match) return value;
  const [, monthName = "", day = "", year = ""] = match;
  const month = MONTHS.indexOf(monthName.toLowerCase());
  const date = new Date(Date.UTC(Number(year), month, Number(day)));
  const exists = month >= 0 && date.getUTCMonth() === month && date.getUTCDate() === Number(day);
  return exists ? date.toISOString() : value;
}
