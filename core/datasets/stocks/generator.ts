/**
 * Seeded stock ticks: a geometric random walk per symbol, one tick per symbol at each fixed
 * time step, with a volume. The same (seed, start, step, symbols) always gives the same ticks,
 * so the stock poller can recompute "the walk so far today" without keeping state.
 */
import { Prng } from "../../sources/prng.ts";

export interface TickOptions {
  /** Total ticks (across all symbols); undefined = endless. */
  readonly count?: number;
  readonly seed?: number;
  /** Time of the first tick (ms since epoch); default the start of the current UTC hour. */
  readonly start?: number;
  /** Time between two ticks of one symbol (ms). */
  readonly stepMs?: number;
  /** Symbols and their first prices. */
  readonly symbols?: Readonly<Record<string, number>>;
  /** Per-step volatility of the log price. */
  readonly volatility?: number;
}

export interface Tick {
  readonly symbol: string;
  readonly ts: string;
  readonly price: number;
  readonly volume: number;
  readonly source: "generator";
}

/** Roughly the last monthly closes in vega-datasets' stocks.csv. */
export const DEFAULT_SYMBOLS: Readonly<Record<string, number>> = {
  AAPL: 223.02,
  AMZN: 128.82,
  GOOG: 560.19,
  IBM: 125.55,
  MSFT: 28.8,
};

export const DEFAULT_SEED = 42;
const HOUR = 3_600_000;

export function startOfHour(now = Date.now()): number {
  return Math.floor(now / HOUR) * HOUR;
}

export function* generateTicks(options: TickOptions = {}): Generator<Tick> {
  const rng = new Prng(options.seed ?? DEFAULT_SEED);
  const start = options.start ?? startOfHour();
  const stepMs = options.stepMs ?? 1000;
  const volatility = options.volatility ?? 0.002;
  const symbols = Object.entries(options.symbols ?? DEFAULT_SYMBOLS);
  const prices = symbols.map(([, price]) => price);
  const count = options.count ?? Number.POSITIVE_INFINITY;
  let produced = 0;
  for (let step = 0; produced < count; step++) {
    const ts = new Date(start + step * stepMs).toISOString();
    for (let i = 0; i < symbols.length && produced < count; i++, produced++) {
      const price = (prices[i] as number) * Math.exp(volatility * rng.normal());
      prices[i] = price;
      const volume = Math.round(1000 * Math.exp(0.8 * rng.normal()));
      yield {
        symbol: (symbols[i] as [string, number])[0],
        ts,
        price: Math.max(0.01, Math.round(price * 100) / 100),
        volume,
        source: "generator",
      };
    }
  }
}
