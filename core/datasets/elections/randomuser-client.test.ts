import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { SourceError, SourceUnavailableError } from "../../sources/types.ts";
import { fetchRandomUsers, parseRandomUserResponse, randomUserPageUrl } from "./randomuser-client.ts";
import { voterSchema } from "./schema.ts";

const fixture = JSON.parse(
  readFileSync(new URL("./fixtures/randomuser-response.json", import.meta.url), "utf8"),
);

/** A local HTTP server answering like randomuser.me: the tests speak real HTTP to it. */
async function serve(
  answer: (url: URL) => { status: number; body: unknown },
): Promise<{ url: string; seen: URL[] }> {
  const seen: URL[] = [];
  server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    seen.push(url);
    const { status, body } = answer(url);
    res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/`, seen };
}
let server: Server | undefined;
afterEach(() => {
  server?.close();
  server = undefined;
});

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe("randomuser.me client", () => {
  it("parses a real response's results, which validate as voters", () => {
    // Act
    const results = parseRandomUserResponse(fixture);

    // Assess
    expect(results).toHaveLength(2);
    for (const item of results) expect(voterSchema.safeParse(item).success).toBe(true);
  });

  it("turns the API's error answer into a SourceError", () => {
    // Act / Assess
    expect(() => parseRandomUserResponse({ error: "Uh oh, something has gone wrong." })).toThrow(SourceError);
    expect(() => parseRandomUserResponse({ info: {} })).toThrow(/no results array/);
  });

  it("asks for US users with results, page and seed", () => {
    // Act
    const url = new URL(randomUserPageUrl("https://randomuser.me/api/", 500, 2, "abc"));

    // Assess
    expect(Object.fromEntries(url.searchParams)).toEqual({
      results: "500",
      nat: "us",
      page: "2",
      seed: "abc",
    });
  });

  it("fetches page by page over HTTP until the count is reached", async () => {
    // Prepare
    const api = await serve(() => ({ status: 200, body: fixture }));

    // Act
    const voters = await collect(fetchRandomUsers({ count: 3, baseUrl: api.url, seed: "s" }));

    // Assess
    expect(voters.map((v) => v.login.uuid)).toEqual([
      "7a0eed16-9430-4d68-901f-c0d4c1c3bf00",
      "155e77ee-ba6d-486f-95ce-0e0c0fb4b919",
      "7a0eed16-9430-4d68-901f-c0d4c1c3bf00",
    ]);
    expect(api.seen.map((u) => u.searchParams.get("page"))).toEqual(["1", "2"]);
  });

  it("says clearly that the API is unreachable when offline", async () => {
    // Prepare: a port nothing listens on.
    const api = await serve(() => ({ status: 200, body: fixture }));
    server?.close();

    // Act
    const attempt = collect(fetchRandomUsers({ count: 1, baseUrl: api.url }));

    // Assess
    await expect(attempt).rejects.toThrow(SourceUnavailableError);
    await expect(collect(fetchRandomUsers({ count: 1, baseUrl: api.url }))).rejects.toThrow(
      /use --source generator/,
    );
  });

  it("reports an HTTP error status", async () => {
    // Prepare
    const api = await serve(() => ({ status: 503, body: { error: "busy" } }));

    // Act / Assess
    await expect(collect(fetchRandomUsers({ count: 1, baseUrl: api.url }))).rejects.toThrow(/HTTP 503/);
  });
});
