import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DashboardServer, startDashboardServer } from "./server.ts";

describe("local dashboard server", () => {
  let server: DashboardServer;
  const events: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    // Prepare: a function that echoes what it got, standing in for the template's dashboard-api.
    server = await startDashboardServer({
      port: 0,
      invoke: async (event) => {
        events.push(event as Record<string, unknown>);
        return {
          statusCode: 207,
          headers: { "content-type": "application/json", "x-from": "fn" },
          body: '{"ok":1}',
        };
      },
    });
  });

  afterAll(async () => {
    await server.close();
  });

  it("serves the built page at / with its content type", async () => {
    const page = await fetch(server.url);
    const script = await fetch(new URL("app.js", server.url));

    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/text\/html/);
    expect(await page.text()).toContain('<script type="module" src="app.js">');
    expect(script.headers.get("content-type")).toMatch(/javascript/);
  });

  it("passes /api/* to the function as a Function URL event and answers with its result", async () => {
    const response = await fetch(new URL("api/stocks/prices?symbol=IBM&x=1", server.url));

    expect(response.status).toBe(207);
    expect(response.headers.get("x-from")).toBe("fn");
    expect(await response.json()).toEqual({ ok: 1 });
    expect(events.at(-1)).toMatchObject({
      version: "2.0",
      rawPath: "/api/stocks/prices",
      rawQueryString: "symbol=IBM&x=1",
      queryStringParameters: { symbol: "IBM", x: "1" },
      requestContext: { http: { method: "GET", path: "/api/stocks/prices" } },
    });
  });

  it("serves nothing outside the built page's folder", async () => {
    const escaped = await fetch(new URL("/..%2F..%2Fpackage.json", server.url));
    const missing = await fetch(new URL("/nope.js", server.url));

    expect(escaped.status).toBe(404);
    expect(missing.status).toBe(404);
  });
});
