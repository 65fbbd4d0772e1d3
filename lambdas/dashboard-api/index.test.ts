import type { IncomingMessage } from "node:http";
import { Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { functionUrlEvent } from "../../dashboard/local-server/function-url.ts";
import { InvalidEventError } from "./errors.ts";
import { handler } from "./index.ts";
import { toApiRequest } from "./parse-event.ts";

/** A request as node:http gives it to the local dashboard server. */
function request(method: string, url: string): IncomingMessage {
  return {
    method,
    url,
    httpVersion: "1.1",
    headers: { host: "127.0.0.1:3000", "user-agent": "test" },
    socket: new Socket(),
  } as unknown as IncomingMessage;
}

describe("dashboard-api handler", () => {
  it("reads method, path and query from the local server's Function URL event", () => {
    // Prepare
    const event = functionUrlEvent(request("GET", "/api/stocks/prices?symbol=MSFT"), Buffer.alloc(0));

    // Act
    const parsed = toApiRequest(event);

    // Assess
    expect(parsed).toEqual({ method: "GET", path: "/api/stocks/prices", query: { symbol: "MSFT" } });
  });

  it("answers a Function URL result: status, JSON headers, body", async () => {
    const event = functionUrlEvent(request("DELETE", "/api/runs"), Buffer.from("x"));

    const result = await handler(event);

    expect(result.statusCode).toBe(405);
    expect(result.headers["content-type"]).toMatch(/json/);
    expect(JSON.parse(result.body).error).toMatch(/read-only/);
  });

  it("refuses an event that is not a Function URL event", async () => {
    await expect(handler({ Records: [] })).rejects.toBeInstanceOf(InvalidEventError);
  });
});
