/**
 * Sales: one Sample Superstore row per record, with the file's own column names so an
 * uploaded superstore.csv and the replayed rows are the same thing. Numbers are coerced
 * because CSV cells arrive as strings.
 */
import { z } from "zod";

const isoDate = z.iso.date();

/** A number from JSON or a CSV cell; an empty cell is missing, not 0 (z.coerce alone makes it 0). */
const number = () =>
  z.preprocess((v) => (typeof v === "string" && v.trim() === "" ? undefined : v), z.coerce.number());

export const orderLineSchema = z.object({
  "Row ID": number().pipe(z.number().int().positive()),
  "Order ID": z.string().min(1),
  "Order Date": isoDate,
  "Ship Date": isoDate,
  "Ship Mode": z.string().min(1),
  "Customer ID": z.string().min(1),
  "Customer Name": z.string().min(1),
  Segment: z.string().min(1),
  Country: z.string().min(1),
  City: z.string().min(1),
  State: z.string().min(1),
  // Postal codes are identifiers: keep leading zeros (New England codes lose them as numbers).
  "Postal Code": z.union([z.string(), z.number()]).transform(String).optional(),
  Region: z.string().min(1),
  "Product ID": z.string().min(1),
  Category: z.string().min(1),
  "Sub-Category": z.string().min(1),
  "Product Name": z.string().min(1),
  Sales: number().pipe(z.number().finite()),
  Quantity: number().pipe(z.number().int()),
  Discount: number().pipe(z.number().min(0).max(1)),
  Profit: number().pipe(z.number().finite()),
});
export type OrderLine = z.output<typeof orderLineSchema>;
