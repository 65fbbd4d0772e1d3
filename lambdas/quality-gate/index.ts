/**
 * quality-gate (Step Functions "Quality gate"): input `{ runId, dbt }` (the dbt state's
 * output, or `{ runId, exitCode }`); passes the run
 * when dbt exited 0 and run_results.json has no error or failed test, otherwise throws
 * QualityGateFailed (or DbtRunFailed) with dbt's messages, which fails the execution.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { z } from "zod";
import { s3 } from "../../core/aws/clients.ts";
import { loadConfig } from "../../core/config/index.ts";
import type { Verdict } from "./evaluate.ts";
import { dbtExitCode } from "./exit-code.ts";
import { checkRun } from "./gate.ts";

const logger = new Logger({ serviceName: "quality-gate" });

const InputSchema = z.object({
  runId: z.string().min(1),
  exitCode: z.number().int().nullish(),
  /** The ecs:runTask.sync output of the dbt state. */
  dbt: z.unknown().optional(),
});

export async function handler(event: unknown): Promise<Verdict> {
  const input = InputSchema.parse(event);
  const verdict = await checkRun(s3(), loadConfig().buckets.artifacts, {
    runId: input.runId,
    exitCode: input.exitCode ?? dbtExitCode(input.dbt),
  });
  logger.info("quality gate passed", { runId: input.runId, counts: verdict.counts });
  return verdict;
}
