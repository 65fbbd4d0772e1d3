/**
 * A client for the real randomuser.me API (`/api/?results=N&nat=us`), used by
 * `pipeline produce elections --source api`. Pages of at most 5,000 (the API's limit) share a
 * seed so pages don't overlap. Offline, it fails with one clear sentence.
 */
import { SourceError, SourceUnavailableError } from "../../sources/types.ts";
import type { Voter } from "./schema.ts";

export const RANDOMUSER_URL = "https://randomuser.me/api/";
const MAX_PAGE = 5000;

export interface RandomUserOptions {
  readonly count: number;
  /** The API's own seed (a string): the same seed returns the same people. */
  readonly seed?: string;
  readonly baseUrl?: string;
  readonly fetch?: typeof fetch;
}

/** The `results` of one randomuser.me response, checked for the API's error shape. */
export function parseRandomUserResponse(body: unknown): unknown[] {
  if (typeof body !== "object" || body === null)
    throw new SourceError("randomuser.me answered with something other than a JSON object");
  const { results, error } = body as { results?: unknown; error?: unknown };
  if (typeof error === "string") throw new SourceError(`randomuser.me answered with an error: ${error}`);
  if (!Array.isArray(results)) throw new SourceError("randomuser.me's answer has no results array");
  return results;
}

export function randomUserPageUrl(baseUrl: string, results: number, page: number, seed: string): string {
  const url = new URL(baseUrl);
  url.searchParams.set("results", String(results));
  url.searchParams.set("nat", "us");
  url.searchParams.set("page", String(page));
  url.searchParams.set("seed", seed);
  return url.toString();
}

/** Voters from the API, page by page; each item is passed on as the API sent it. */
export async function* fetchRandomUsers(options: RandomUserOptions): AsyncGenerator<Voter> {
  const doFetch = options.fetch ?? fetch;
  const baseUrl = options.baseUrl ?? RANDOMUSER_URL;
  const seed = options.seed ?? "pipeline";
  let remaining = options.count;
  for (let page = 1; remaining > 0; page++) {
    const size = Math.min(remaining, MAX_PAGE);
    const url = randomUserPageUrl(baseUrl, size, page, seed);
    let response: Response;
    try {
      response = await doFetch(url, { headers: { accept: "application/json" } });
    } catch (cause) {
      throw new SourceUnavailableError(
        `cannot reach ${new URL(baseUrl).host} (${describe(cause)}); offline, use --source generator`,
        { cause },
      );
    }
    if (!response.ok) throw new SourceError(`randomuser.me answered HTTP ${response.status} for ${url}`);
    const results = parseRandomUserResponse(await response.json());
    if (results.length === 0) return;
    for (const item of results.slice(0, remaining)) yield item as Voter;
    remaining -= results.length;
  }
}

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code ?? cause?.message ?? (error as Error)?.message ?? String(error);
}
