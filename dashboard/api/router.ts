/**
 * The read-only API: GET routes → JSON. The Lambda handler (lambdas/dashboard-api) and the
 * tests call `handleRequest`; nothing here knows about events or HTTP servers.
 */
import { getElections } from "./elections.ts";
import { DashboardApiError, MethodNotAllowedError, NotFoundError } from "./errors.ts";
import { getLive } from "./live.ts";
import { getRun, listRuns, runsSource } from "./runs.ts";
import { getSales } from "./sales.ts";
import { getStages } from "./stages.ts";
import { getStockPrices, getStocks } from "./stocks.ts";
import type { ApiRequest, ApiResponse } from "./types.ts";

type Route = (request: ApiRequest, params: readonly string[]) => Promise<unknown>;

/** Path patterns (after /api) and what answers them; parameters are the capture groups. */
const routes: ReadonlyArray<readonly [RegExp, Route]> = [
  [/^\/health$/, async () => ({ ok: true })],
  [/^\/live$/, () => getLive()],
  [/^\/elections$/, () => getElections()],
  [/^\/sales$/, () => getSales()],
  [/^\/stocks$/, () => getStocks()],
  [/^\/stocks\/prices$/, (request) => getStockPrices(request.query.symbol, request.query.series)],
  [/^\/runs$/, async () => listRuns(await runsSource())],
  [/^\/runs\/([^/]+)$/, async (_request, [id]) => getRun(await runsSource(), decodeURIComponent(id ?? ""))],
  [/^\/stages$/, () => getStages()],
];

export async function handleRequest(request: ApiRequest): Promise<ApiResponse> {
  try {
    const path = request.path.replace(/^\/api(?=\/)/, "").replace(/\/+$/, "");
    const match = routes
      .map(([pattern, route]) => [pattern.exec(path), route] as const)
      .find(([m]) => m !== null);
    if (!match) throw new NotFoundError(`no API route ${request.path}`);
    if (request.method !== "GET" && request.method !== "HEAD") {
      throw new MethodNotAllowedError(`${request.method} is not allowed: the dashboard API is read-only`);
    }
    const [groups, route] = match;
    return json(200, await route(request, (groups ?? []).slice(1)));
  } catch (error) {
    if (error instanceof DashboardApiError) return json(error.status, { error: error.message });
    console.error(error);
    return json(500, { error: "internal error" });
  }
}

function json(status: number, body: unknown): ApiResponse {
  const headers: Record<string, string> = {
    "content-type": "application/json; charset=utf-8",
    // Live figures: neither CloudFront nor the browser may keep them.
    "cache-control": "no-store",
  };
  if (status === 405) headers.allow = "GET, HEAD";
  return { status, headers, body: JSON.stringify(body) };
}
