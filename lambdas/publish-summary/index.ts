/**
 * publish-summary (Step Functions "Publish summary"): input `{ executionId, runId, run }`;
 * writes the run summary to the artifacts bucket and returns it with its key.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { z } from "zod";
import { s3 } from "../../core/aws/clients.ts";
import { loadConfig } from "../../core/config/index.ts";
import { buildSummary, RunStateSchema, type RunSummary, writeSummary } from "./summary.ts";

const logger = new Logger({ serviceName: "publish-summary" });

const InputSchema = z.object({ executionId: z.string().min(1), run: RunStateSchema });

export async function handler(event: unknown): Promise<RunSummary & { key: string }> {
  const input = InputSchema.parse(event);
  const summary = buildSummary(input.executionId, input.run, new Date());
  const key = await writeSummary(s3(), loadConfig().buckets.artifacts, summary);
  logger.info("run summary published", { key, dbtNodes: summary.dbtNodes });
  return { ...summary, key };
}
