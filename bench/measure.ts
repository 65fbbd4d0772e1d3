/** Small measuring helpers every stage shares: rates, percentiles, a stopwatch. */

/** Records per second, rounded; 0 for an empty span. */
export function perSecond(records: number, seconds: number): number {
  return seconds > 0 ? Math.round(records / seconds) : 0;
}

/** The p-th percentile (0–100) of the values, nearest rank; 0 when there are none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

/** Seconds since `start` (a `performance.now()` reading), three decimals. */
export function secondsSince(start: number): number {
  return Math.round(performance.now() - start) / 1000;
}

/** Times an async call: its result and how many seconds it took. */
export async function timed<T>(call: () => Promise<T>): Promise<{ result: T; seconds: number }> {
  const start = performance.now();
  const result = await call();
  return { result, seconds: secondsSince(start) };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
