/** Reads a run's run_results.json from the artifacts bucket and applies the quality decision. */
import { GetObjectCommand, NoSuchKey, type S3Client } from "@aws-sdk/client-s3";
import { DbtRunFailed, QualityGateFailed } from "./errors.ts";
import { describeFailures, evaluate, parseRunResults, type Verdict } from "./evaluate.ts";

export interface GateInput {
  /** The run id dbt wrote its artifacts under: `dbt/<runId>/run_results.json`. */
  readonly runId: string;
  /** The dbt container's exit code; null when unknown. */
  readonly exitCode: number | null;
}

export function runResultsKey(runId: string): string {
  return `dbt/${runId}/run_results.json`;
}

/** Returns the verdict of a passing run; throws QualityGateFailed / DbtRunFailed otherwise. */
export async function checkRun(s3: S3Client, bucket: string, input: GateInput): Promise<Verdict> {
  const key = runResultsKey(input.runId);
  const json = await readObject(s3, bucket, key);
  if (json === undefined) {
    throw new DbtRunFailed(
      `dbt exited with code ${input.exitCode ?? "unknown"} and wrote no ${key} in ${bucket}`,
    );
  }
  const verdict = evaluate(parseRunResults(json), input.exitCode);
  if (!verdict.passed) throw new QualityGateFailed(describeFailures(verdict));
  return verdict;
}

async function readObject(s3: S3Client, bucket: string, key: string): Promise<string | undefined> {
  try {
    const answer = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return await answer.Body?.transformToString("utf8");
  } catch (error) {
    if (error instanceof NoSuchKey) return undefined;
    throw error;
  }
}
