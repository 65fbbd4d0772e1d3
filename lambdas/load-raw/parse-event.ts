/**
 * load-raw receives S3 ObjectCreated notifications either directly or through SQS (batched,
 * for Snowflake). Shapes are asserted with Powertools' parser schemas.
 */
import { S3Schema, SqsSchema } from "@aws-lambda-powertools/parser/schemas";
import type { S3Event, SQSEvent, SQSRecord } from "aws-lambda";
import { PipelineError } from "../../core/errors.ts";
import { type ObjectRef, objectsOfEvent, RAW_PREFIX } from "../../core/lake/index.ts";

export type LoadRawEvent =
  | { readonly kind: "s3"; readonly event: S3Event }
  | { readonly kind: "sqs"; readonly event: SQSEvent };

export function parseLoadRawEvent(event: unknown): LoadRawEvent {
  if (SqsSchema.safeParse(event).success) return { kind: "sqs", event: event as SQSEvent };
  const s3 = S3Schema.safeParse(event);
  if (s3.success) return { kind: "s3", event: event as S3Event };
  throw new InvalidEventError(`neither an S3 nor an SQS event: ${s3.error.issues[0]?.message ?? "invalid"}`);
}

/** The raw/ objects an SQS message carries (S3's "s3:TestEvent" carries none). */
export function objectsOfMessage(record: SQSRecord): ObjectRef[] {
  const body: unknown = JSON.parse(record.body);
  if (typeof body === "object" && body !== null && "Event" in body && body.Event === "s3:TestEvent")
    return [];
  const parsed = S3Schema.safeParse(body);
  if (!parsed.success) throw new InvalidEventError(`message ${record.messageId} is not an S3 notification`);
  return rawObjects(body as S3Event);
}

/** The event's ObjectCreated objects under raw/ (the trigger's prefix filter, checked again). */
export function rawObjects(event: S3Event): ObjectRef[] {
  return objectsOfEvent(event).filter((o) => o.key.startsWith(RAW_PREFIX));
}

export class InvalidEventError extends PipelineError {}
