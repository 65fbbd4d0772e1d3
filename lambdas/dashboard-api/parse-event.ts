/** A Lambda Function URL (HTTP API v2 payload) event → the API's own request. */
import { LambdaFunctionUrlSchema } from "@aws-lambda-powertools/parser/schemas";
import type { ApiRequest } from "../../dashboard/api/types.ts";
import { InvalidEventError } from "./errors.ts";

export function toApiRequest(event: unknown): ApiRequest {
  const parsed = LambdaFunctionUrlSchema.safeParse(event);
  if (!parsed.success) throw new InvalidEventError("not a Lambda Function URL event", parsed.error);
  const { requestContext, rawPath, queryStringParameters } = parsed.data;
  return { method: requestContext.http.method, path: rawPath, query: queryStringParameters ?? {} };
}
