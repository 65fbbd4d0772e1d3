/**
 * Sales: one Sample Superstore row per record, with the file's own column names so an
 * uploaded superstore.csv and the replayed rows are the same thing. Numbers are coerced
 * because CSV cells arrive as strings.
 */
import { z } from "zod";

const isoDate = z.iso.date();

export const orderLineSchema = z.object({
  "Row ID": z.coerce.number().int().positive(),
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
  Sales: z.coerce.number().finite(),
  Quantity: z.coerce.number().int(),
  Discount: z.coerce.number().min(0).max(1),
  Profit: z.coerce.number().finite(),
});
export type OrderLine = z.output<typeof orderLineSchema>;
