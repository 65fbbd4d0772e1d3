/**
 * Asserts the MSK event's shape with Powertools' Kafka record schema, minus its key/value
 * transforms: those decode base64 to text leniently (invalid UTF-8 becomes U+FFFD), while
 * landing must see the original bytes to quarantine them faithfully.
 */
import { KafkaRecordSchema } from "@aws-lambda-powertools/parser/schemas";
import { z } from "zod";
import type { MskEvent } from "../../core/msk-event/index.ts";
import { InvalidEventError } from "./errors.ts";

const RecordShape = KafkaRecordSchema.omit({ key: true, value: true, headers: true }).extend({
  key: z.string().nullish(),
  value: z.string().nullish(),
});

const EventShape = z.object({
  eventSource: z.enum(["aws:kafka", "SelfManagedKafka"]),
  records: z.record(z.string(), z.array(RecordShape)),
});

export function parseMskEvent(event: unknown): MskEvent {
  const parsed = EventShape.safeParse(event);
  if (!parsed.success) {
    throw new InvalidEventError(`not an MSK event: ${parsed.error.issues[0]?.message ?? "invalid"}`, {
      cause: parsed.error,
    });
  }
  // Validated the shape only; hand on the original objects (no copies of 10,000 records).
  return event as MskEvent;
}
