/**
 * Lambda's asynchronous invocation (InvocationType Event — how S3 invokes a function), as AWS
 * runs it (Lambda developer guide, "Asynchronous invocation"; CloudFormation
 * AWS::Lambda::EventInvokeConfig):
 * - a request over 256 KB is refused before it is queued (functions/payload-limits.ts);
 * - a function error (what the code throws, a timeout, a crashed or failed-to-start runtime)
 *   is retried `MaximumRetryAttempts` times (0–2, default 2), about one minute before the first
 *   retry and two before the second;
 * - an event older than `MaximumEventAgeInSeconds` (60–21,600, default 6 hours) is not run again;
 * - then the event goes to the on-failure destination (`DestinationConfig.OnFailure`) as an
 *   invocation record, or, without one, to the function's dead-letter queue
 *   (`DeadLetterConfig`), or is dropped.
 *
 * The one difference, for tests only: {@link ASYNC_RETRY_BASE_ENV} shortens the waits between
 * attempts (docs/ARCHITECTURE.md, "Delivery when it fails"). This file is its only reader.
 */
import { positiveSetting } from "../../../core/config/index.ts";
import type { AsyncInvocationRecord, DeadLetterQueue, FailureDestination } from "../triggers/destinations.ts";

/**
 * Seconds before the first retry of a failed asynchronous invocation (the second waits twice
 * as long). Unset: 60, AWS's. For tests only, which can't wait three minutes per failed event.
 */
export const ASYNC_RETRY_BASE_ENV = "PIPELINE_ASYNC_RETRY_BASE_SECONDS";

/** What the template's EventInvokeConfig and DeadLetterConfig say of a function, AWS's defaults filled in. */
export interface AsyncInvokeConfig {
  readonly maxRetryAttempts: number;
  readonly maxEventAgeSeconds: number;
  readonly onFailureArn?: string;
  readonly onSuccessArn?: string;
  readonly deadLetterArn?: string;
}

export const ASYNC_INVOKE_DEFAULTS = { maxRetryAttempts: 2, maxEventAgeSeconds: 21_600 } as const;
export const ASYNC_INVOKE_LIMITS = {
  maxRetryAttempts: { min: 0, max: 2 },
  maxEventAgeSeconds: { min: 60, max: 21_600 },
} as const;

/** SQS's longest DelaySeconds: the wait is carried by the retried message's delay. */
const MAX_DELAY_SECONDS = 900;

/** Seconds Lambda waits before retry `retry` (1, 2) of an event the function failed. */
export function retryDelaySeconds(
  retry: number,
  env: Record<string, string | undefined> = process.env,
): number {
  const base = positiveSetting(env, ASYNC_RETRY_BASE_ENV, 60, "integer");
  return Math.min(base * 2 ** (retry - 1), MAX_DELAY_SECONDS);
}

/** Where an event Lambda gave up on goes: the on-failure destination, else the dead-letter queue. */
export interface AsyncFailureTargets {
  readonly onFailure?: FailureDestination;
  readonly deadLetter?: DeadLetterQueue;
}

export interface GivenUp {
  readonly functionName: string;
  readonly functionArn: string;
  readonly requestId: string;
  readonly condition: AsyncInvocationRecord["requestContext"]["condition"];
  /** Attempts the function made (0 when the event expired before one). */
  readonly attempts: number;
  readonly event: unknown;
  /** The last attempt's error, if one ran. */
  readonly lastError?: { readonly errorType: string; readonly errorMessage: string };
}

/** AWS's invocation record of an event Lambda gave up on. */
export function asyncFailureRecord(g: GivenUp, now = new Date()): AsyncInvocationRecord {
  return {
    version: "1.0",
    timestamp: now.toISOString(),
    requestContext: {
      requestId: g.requestId,
      functionArn: `${g.functionArn}:$LATEST`,
      condition: g.condition,
      approximateInvokeCount: g.attempts,
    },
    requestPayload: g.event,
    ...(g.lastError
      ? {
          responseContext: {
            statusCode: 200,
            executedVersion: "$LATEST",
            functionError: "Unhandled" as const,
          },
          responsePayload: g.lastError,
        }
      : {}),
  };
}

/**
 * Sends what Lambda gave up on where the function's configuration says; returns what happened,
 * for the runtime's log. A destination AWS refuses (the role may not write to it, a size limit)
 * loses the event, as in AWS (its DestinationDeliveryFailures metric); an unreachable emulator
 * is the runtime's own failure and is thrown, so the event is tried again.
 */
export async function giveUp(g: GivenUp, targets: AsyncFailureTargets): Promise<string> {
  const { onFailure, deadLetter } = targets;
  const refused = (error: unknown) => (error as { $fault?: string }).$fault === "client";
  if (onFailure) {
    try {
      await onFailure.sendInvocationRecord(g.functionName, asyncFailureRecord(g));
      return `sent to its on-failure destination ${onFailure.arn}`;
    } catch (error) {
      if (!refused(error)) throw error;
      return `dropped: its on-failure destination ${onFailure.arn} refused the record (${(error as Error).name}: ${(error as Error).message})`;
    }
  }
  if (deadLetter) {
    try {
      await deadLetter.send(g.event, {
        requestId: g.requestId,
        errorCode: 200,
        errorMessage: g.lastError?.errorMessage ?? g.condition,
      });
      return `sent to its dead-letter queue ${deadLetter.arn}`;
    } catch (error) {
      if (!refused(error)) throw error;
      return `dropped: its dead-letter queue ${deadLetter.arn} refused it (${(error as Error).name}: ${(error as Error).message})`;
    }
  }
  return "dropped: the function has no on-failure destination and no dead-letter queue";
}
