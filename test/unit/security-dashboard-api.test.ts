/**
 * The dashboard API is read-only, by construction and by permission:
 * - through the Lambda handler, any method but GET/HEAD on any path is refused (405, or 404
 *   for a path no route serves) before a route runs — no SQL is ever sent for it;
 * - the dashboard-api function's role (both targets) holds read actions only.
 * Parameterised queries against a real PostgreSQL: test/integration/security-dashboard-api.test.ts.
 */
import type { IncomingMessage } from "node:http";
import { Socket } from "node:net";
import fc from "fast-check";
import pg from "pg";
import { afterEach, describe, expect, it, vi } from "vitest";
import { functionUrlEvent } from "../../dashboard/local-server/function-url.ts";
import type { InfraConfigInput } from "../../infra/config.ts";
import { handler } from "../../lambdas/dashboard-api/index.ts";
import { functionId, resourcesOf, synthesize } from "../fixtures/stacks.ts";

/** A request as node:http hands it to the local dashboard server. */
function request(method: string, url: string): IncomingMessage {
  return {
    method,
    url,
    httpVersion: "1.1",
    headers: { host: "127.0.0.1:3000" },
    socket: new Socket(),
  } as unknown as IncomingMessage;
}

const ROUTES = [
  "/api/health",
  "/api/live",
  "/api/elections",
  "/api/sales",
  "/api/stocks",
  "/api/stocks/prices?symbol=AAPL",
  "/api/runs",
  "/api/runs/some-run",
  "/api/stages",
];

const WRITE_METHODS = ["POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT", "PROPFIND", "get"];

afterEach(() => {
  vi.restoreAllMocks();
});

describe("the dashboard API refuses anything but reads", () => {
  it("answers 405 or 404 to every other method on any path, and sends no SQL", async () => {
    // Prepare: count every statement any pg client sends (the real method still runs)
    const sent = vi.spyOn(pg.Client.prototype, "query");
    const path = fc.oneof(
      fc.constantFrom(...ROUTES),
      fc.array(fc.webSegment(), { maxLength: 4 }).map((segments) => `/api/${segments.join("/")}`),
    );

    // Act / Assess
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...WRITE_METHODS), path, fc.string(), async (method, url, body) => {
        // Methods a Function URL never delivers fail the event's parsing: refused as well.
        const outcome = await handler(functionUrlEvent(request(method, url), Buffer.from(body))).then(
          (r) => r,
          (error: Error) => error.name,
        );
        if (typeof outcome === "string") expect(outcome).toBe("InvalidEventError");
        else {
          expect([404, 405]).toContain(outcome.statusCode);
          if (outcome.statusCode === 405) expect(JSON.parse(outcome.body).error).toMatch(/read-only/);
        }
      }),
      { numRuns: 300, seed: 9 },
    );
    expect(sent).not.toHaveBeenCalled();
  });

  it("answers 405 on every route (the property above is not all 404s)", async () => {
    // Act
    const statuses = await Promise.all(
      ROUTES.map(
        async (url) => (await handler(functionUrlEvent(request("POST", url), Buffer.alloc(0)))).statusCode,
      ),
    );

    // Assess
    expect(statuses).toEqual(ROUTES.map(() => 405));
  });
});

/** Read actions (and X-Ray's telemetry writes, which touch no data). */
const READ_ACTION =
  /^(xray:Put(TraceSegments|TelemetryRecords)|[a-z0-9-]+:(Get|List|Describe|Query|Scan|BatchGet)\w*)$/;

describe("the dashboard API's permissions", () => {
  for (const context of [{ target: "aws" }, { target: "local" }] satisfies InfraConfigInput[]) {
    it(`grants the dashboard-api function read actions only: ${context.target}`, () => {
      // Prepare
      const { template } = synthesize(context);
      const fn = resourcesOf(template, "AWS::Lambda::Function")[functionId(template, "dashboard-api")];
      const role = (fn?.Properties?.Role as { "Fn::GetAtt": [string, string] } | undefined)?.[
        "Fn::GetAtt"
      ][0];

      // Act
      const actions = Object.values(resourcesOf(template, "AWS::IAM::Policy"))
        .filter((p) => JSON.stringify(p.Properties?.Roles).includes(`"${role}"`))
        .flatMap(
          (p) =>
            (p.Properties?.PolicyDocument as { Statement: { Effect: string; Action: unknown }[] } | undefined)
              ?.Statement ?? [],
        )
        .filter((s) => s.Effect === "Allow")
        .flatMap((s) => [s.Action].flat().map(String));

      // Assess
      expect(role).toBeDefined();
      expect(actions.length).toBeGreaterThan(2);
      expect(actions.filter((a) => !READ_ACTION.test(a))).toEqual([]);
    });
  }
});
