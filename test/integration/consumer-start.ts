/**
 * Where a test's reading consumer starts: each partition at the offset the test recorded before
 * it produced. A seek on the running consumer, not `admin.setOffsets` — which joins the group
 * with a consumer of its own, per topic, and waits for that consumer's first fetch (≈ 5 s each).
 */
import type { Consumer } from "../../core/kafka/client.ts";

export interface PartitionStart {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number | string;
}

/**
 * Seeks each partition of a consumer that `run()` has just been called on (kafkajs keeps the
 * seeks and applies them before the first fetch). Subscribe with `fromBeginning: true` and drop
 * offsets below the start: if the group ever restarts without the seeks, it re-reads from the
 * beginning rather than skipping to the end.
 */
export function seekToStarts(consumer: Consumer, starts: Iterable<PartitionStart>): void {
  for (const { topic, partition, offset } of starts)
    consumer.seek({ topic, partition, offset: String(offset) });
}
