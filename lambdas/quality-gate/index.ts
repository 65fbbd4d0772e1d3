/**
 * quality-gate (Step Functions "Quality gate"): input `{ runId, exitCode }`; passes the run
 * when dbt exited 0 and run_results.json has no error or failed test, otherwise throws
 * QualityGateFailed (or DbtRunFailed) with dbt's messages, which fails the execution.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { z } from "zod";
import { s3 } from "../../core/aws/clients.ts";
import { loadConfig } from "../../core/config/index.ts";
import type { Verdict } from "./evaluate.ts";
import { checkRun } from "./gate.ts";

const logger = new Logger({ serviceName: "quality-gate" });

const InputSchema = z.object({
  runId: z.string().min(1),
  exitCode: z.number().int().nullish(),
});

export async function handler(event: unknown): Promise<Verdict> {
  const input = InputSchema.parse(event);
  const verdict = await checkRun(s3(), loadConfig().buckets.artifacts, {
    runId: input.runId,
    exitCode: input.exitCode ?? null,
  });
  logger.info("quality gate passed", { runId: input.runId, counts: verdict.counts });
  return verdict;
}
