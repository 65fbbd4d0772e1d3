/**
 * load-pending (Step Functions "load pending files"): input `{}` or `{ "from": "YYYY-MM-DD",
 * "to": "YYYY-MM-DD" }` (a backfill day range); returns the counts.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { z } from "zod";
import { s3 } from "../../core/aws/clients.ts";
import { loadConfig } from "../../core/config/index.ts";
import { warehouseTarget } from "../../core/warehouse/index.ts";
import { loadPending, type PendingResult } from "./pending.ts";

const logger = new Logger({ serviceName: "load-pending" });

const InputSchema = z
  .object({ from: z.iso.date().optional(), to: z.iso.date().optional() })
  .refine((i) => (i.from === undefined) === (i.to === undefined), "give both from and to, or neither");

export async function handler(event: unknown): Promise<PendingResult> {
  const input = InputSchema.parse(event ?? {});
  const range = input.from && input.to ? { from: input.from, to: input.to } : undefined;
  const result = await loadPending(s3(), loadConfig().buckets.raw, warehouseTarget(), range);
  logger.info("pending files loaded", { range, ...result });
  return result;
}
