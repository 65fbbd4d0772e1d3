/**
 * dashboard-api (Lambda Function URL behind CloudFront's /api/*, or the local runtime's
 * dashboard server): a read-only JSON API over the serving store, the warehouse's gold
 * layer, the pipeline runs and the stage counts. The routes live in dashboard/api.
 */
import { handleRequest } from "../../dashboard/api/router.ts";
import type { FunctionUrlResult } from "../../dashboard/api/types.ts";
import { toApiRequest } from "./parse-event.ts";

export async function handler(event: unknown): Promise<FunctionUrlResult> {
  const response = await handleRequest(toApiRequest(event));
  return { statusCode: response.status, headers: { ...response.headers }, body: response.body };
}
