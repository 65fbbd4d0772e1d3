/**
 * What happens when a file doesn't fit one invocation. In AWS the function invokes itself
 * asynchronously with `{ continuation: { bucket, key } }`; the new invocation reads the
 * checkpoint and resumes. Offline (the local runtime, tests) the same loop runs inline, one
 * budgeted pass after another, so the checkpoints are exercised the same way.
 */
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import type { FileJob } from "./process-file.ts";

export interface ContinuationEvent {
  readonly continuation: FileJob;
}

export type ContinuationMode = "invoke" | "inline";

export function isContinuation(event: unknown): event is ContinuationEvent {
  const c = (event as { continuation?: { bucket?: unknown; key?: unknown } } | null)?.continuation;
  return typeof c?.bucket === "string" && typeof c?.key === "string";
}

/** `invoke` in AWS (a function name and no emulator endpoint), `inline` otherwise, unless set. */
export function continuationMode(env: Record<string, string | undefined> = process.env): ContinuationMode {
  const set = env.FILE_TO_TOPIC_CONTINUATION;
  if (set === "invoke" || set === "inline") return set;
  return env.AWS_LAMBDA_FUNCTION_NAME && !env.AWS_ENDPOINT_URL ? "invoke" : "inline";
}

let lambda: LambdaClient | undefined;

export async function invokeSelf(functionName: string, job: FileJob): Promise<void> {
  lambda ??= new LambdaClient({});
  const payload: ContinuationEvent = { continuation: { bucket: job.bucket, key: job.key } };
  await lambda.send(
    new InvokeCommand({
      FunctionName: functionName,
      InvocationType: "Event",
      Payload: JSON.stringify(payload),
    }),
  );
}
