/**
 * The poller's offline source: the seeded tick generator, walked from the start of the UTC day
 * at one tick per symbol per interval. Each poll emits the ticks of the last interval, so
 * successive polls continue one random walk without keeping any state between invocations.
 */
import { generateTicks, type Tick } from "../../core/datasets/stocks/generator.ts";

const DAY = 86_400_000;

export function ticksForPoll(now: number, intervalMs: number, seed: number): Tick[] {
  const dayStart = Math.floor(now / DAY) * DAY;
  const out: Tick[] = [];
  for (const tick of generateTicks({ seed, start: dayStart, stepMs: intervalMs })) {
    const t = Date.parse(tick.ts);
    if (t > now) break;
    if (t > now - intervalMs) out.push(tick);
  }
  return out;
}
