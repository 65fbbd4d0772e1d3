/**
 * An HTTP request as a Lambda Function URL event (payload format 2.0), and the function's
 * answer back — what AWS's Function URL front end does, for the local dashboard server.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { LOCAL_ACCOUNT } from "../../core/config/index.ts";

const URL_ID = "local-dashboard";

export function functionUrlEvent(request: IncomingMessage, body: Buffer): Record<string, unknown> {
  const url = new URL(request.url ?? "/", "http://localhost");
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(",") : value;
  }
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams)
    query[name] = name in query ? `${query[name]},${value}` : value;
  const now = new Date();
  const domainName = headers.host ?? `${URL_ID}.lambda-url.local`;
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: LOCAL_ACCOUNT,
      apiId: URL_ID,
      domainName,
      domainPrefix: URL_ID,
      http: {
        method: request.method ?? "GET",
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? "127.0.0.1",
        userAgent: headers["user-agent"] ?? "",
      },
      requestId: randomUUID(),
      routeKey: "$default",
      stage: "$default",
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(body.length > 0
      ? { body: body.toString("base64"), isBase64Encoded: true }
      : { isBase64Encoded: false }),
  };
}
