/**
 * The quotes API client. `QUOTES_API_URL` is called with `?symbols=A,B,C` and may answer
 * either an array of quotes or `{ "quotes": [...] }`, each quote `{ symbol, price, ts | timestamp,
 * volume? }` (`timestamp` may be epoch seconds or milliseconds, or ISO 8601).
 */
import { QuotesApiError } from "./errors.ts";

export interface Quote {
  readonly symbol: string;
  readonly ts: string;
  readonly price: unknown;
  readonly volume?: unknown;
  readonly source: "api";
}

export async function fetchQuotes(
  url: string,
  symbols: readonly string[],
  doFetch: typeof fetch = fetch,
): Promise<Quote[]> {
  const target = new URL(url);
  target.searchParams.set("symbols", symbols.join(","));
  let response: Response;
  try {
    response = await doFetch(target, { headers: { accept: "application/json" } });
  } catch (cause) {
    throw new QuotesApiError(`cannot reach the quotes API at ${target.host}`, { cause });
  }
  if (!response.ok) throw new QuotesApiError(`the quotes API answered HTTP ${response.status}`);
  return parseQuotes(await response.json());
}

/** Quotes in the stocks.prices shape; the topic's schema validates them afterwards. */
export function parseQuotes(body: unknown): Quote[] {
  const list = Array.isArray(body) ? body : (body as { quotes?: unknown } | null)?.quotes;
  if (!Array.isArray(list))
    throw new QuotesApiError("the quotes API answer is neither an array nor { quotes: [...] }");
  return list.map((item) => {
    const q = (item ?? {}) as Record<string, unknown>;
    return {
      symbol: String(q.symbol ?? ""),
      ts: toIso(q.ts ?? q.timestamp),
      price: q.price,
      volume: q.volume,
      source: "api",
    };
  });
}

function toIso(value: unknown): string {
  if (typeof value === "number") return new Date(value < 1e12 ? value * 1000 : value).toISOString();
  if (typeof value === "string") {
    const parsed = Date.parse(value);
    return Number.isNaN(parsed) ? value : new Date(parsed).toISOString();
  }
  return String(value);
}
