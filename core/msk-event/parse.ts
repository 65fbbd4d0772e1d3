/**
 * Asserts an MSK event's shape with Powertools' Kafka record schema, minus its key/value
 * transforms: those decode base64 to text leniently (invalid UTF-8 becomes U+FFFD), while the
 * Kafka-triggered functions decode the original bytes strictly (decode.ts), so they agree on
 * which records are valid and quarantine them faithfully.
 */
import { KafkaRecordSchema } from "@aws-lambda-powertools/parser/schemas";
import { z } from "zod";
import type { MskEvent } from "./types.ts";

const RecordShape = KafkaRecordSchema.omit({ key: true, value: true, headers: true }).extend({
  key: z.string().nullish(),
  value: z.string().nullish(),
});

const EventShape = z.object({
  eventSource: z.enum(["aws:kafka", "SelfManagedKafka"]),
  records: z.record(z.string(), z.array(RecordShape)),
});

/**
 * The event, typed, or the caller's own error (a wiring mistake, not a bad record: it fails the
 * invocation, and each function reports it under its own error family).
 */
export function parseMskEvent(
  event: unknown,
  InvalidEvent: new (message: string, options?: ErrorOptions) => Error,
): MskEvent {
  const parsed = EventShape.safeParse(event);
  if (!parsed.success) {
    throw new InvalidEvent(`not an MSK event: ${parsed.error.issues[0]?.message ?? "invalid"}`, {
      cause: parsed.error,
    });
  }
  // Validated the shape only; hand on the original objects (no copies of 10,000 records).
  return event as MskEvent;
}
