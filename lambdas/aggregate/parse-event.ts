/**
 * Asserts the MSK event's shape with Powertools' Kafka record schema, minus its key/value
 * transforms: core/msk-event decodes the original bytes strictly, as land-records does, so
 * both functions agree on which records are valid.
 */
import { KafkaRecordSchema } from "@aws-lambda-powertools/parser/schemas";
import { z } from "zod";
import type { MskEvent } from "../../core/msk-event/index.ts";
import { InvalidEventError } from "./errors.ts";

const EventShape = z.object({
  eventSource: z.enum(["aws:kafka", "SelfManagedKafka"]),
  records: z.record(
    z.string(),
    z.array(
      KafkaRecordSchema.omit({ key: true, value: true, headers: true }).extend({
        key: z.string().nullish(),
        value: z.string().nullish(),
      }),
    ),
  ),
});

export function parseMskEvent(event: unknown): MskEvent {
  const parsed = EventShape.safeParse(event);
  if (!parsed.success) {
    throw new InvalidEventError(`not an MSK event: ${parsed.error.issues[0]?.message ?? "invalid"}`, {
      cause: parsed.error,
    });
  }
  return event as MskEvent;
}
