/**
 * Lambda's invocation payload quotas, enforced offline as AWS enforces them: a synchronous
 * invocation's request and response are at most 6 MB (6,291,456 bytes of JSON), an
 * asynchronous one's (InvocationType Event) request at most 256 KB (Lambda quotas,
 * "Invocation payload (request and response)"). The names and messages are AWS's own, as
 * the SDK reports them: an oversized request is refused before the function runs with
 * RequestEntityTooLargeException (HTTP 413); an oversized response fails the invocation
 * with Function.ResponseSizeTooLarge — AWS compares it with 6,291,556 bytes and says so.
 */
import { PipelineError } from "../../../core/errors.ts";

export const SYNC_PAYLOAD_LIMIT_BYTES = 6_291_456;
/** What AWS's response check compares with (and names in its message): 6 MB + 100 bytes. */
export const SYNC_RESPONSE_LIMIT_BYTES = 6_291_556;
export const ASYNC_PAYLOAD_LIMIT_BYTES = 262_144;

/** The Lambda service's refusal of an oversized request, shaped like the SDK's ServiceException. */
export class RequestEntityTooLargeException extends PipelineError {
  readonly $fault = "client";
  readonly $metadata = { httpStatusCode: 413 };
  readonly Type = "User";
}

/** UTF-8 bytes of the JSON Lambda would carry for this value. */
export function payloadBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value ?? null), "utf8");
}

/** Lambda's own refusal when an invocation's request is over its quota, or undefined when it fits. */
export function requestSizeError(
  event: unknown,
  invocationType: "RequestResponse" | "Event",
): RequestEntityTooLargeException | undefined {
  const limit = invocationType === "Event" ? ASYNC_PAYLOAD_LIMIT_BYTES : SYNC_PAYLOAD_LIMIT_BYTES;
  if (payloadBytes(event) <= limit) return undefined;
  const operation = invocationType === "Event" ? "InvokeAsync" : "InvokeFunction";
  return new RequestEntityTooLargeException(
    `Request must be smaller than ${limit} bytes for the ${operation} operation`,
  );
}

/** The function error AWS reports for an oversized response, or undefined when it fits. */
export function responseSizeError(result: unknown): { name: string; message: string } | undefined {
  const bytes = payloadBytes(result);
  if (bytes <= SYNC_RESPONSE_LIMIT_BYTES) return undefined;
  return {
    name: "Function.ResponseSizeTooLarge",
    message: `Response payload size (${bytes} bytes) exceeded maximum allowed payload size (${SYNC_RESPONSE_LIMIT_BYTES} bytes).`,
  };
}
