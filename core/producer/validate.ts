/**
 * Turns a raw source record into a Kafka message for its topic, or says why it can't:
 * schema violations, a key function that fails, an entity the dataset doesn't have.
 */
import type { z } from "zod";
import type { Dataset, TopicSpec } from "../datasets/types.ts";

export interface ValidMessage {
  readonly ok: true;
  readonly topic: string;
  readonly key: string;
  /** UTF-8 JSON of the canonical record. */
  readonly value: string;
}

export interface InvalidMessage {
  readonly ok: false;
  readonly reason: string;
}

/** One zod error as a short, stable reason: the first issue's path and message. */
export function describeZodError(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "invalid record";
  const path = issue.path.length > 0 ? issue.path.join(".") : "(record)";
  const more = error.issues.length > 1 ? ` (+${error.issues.length - 1} more)` : "";
  return `${path}: ${issue.message}${more}`;
}

export function toMessage(spec: TopicSpec, raw: unknown): ValidMessage | InvalidMessage {
  const parsed = spec.schema.safeParse(raw);
  if (!parsed.success) return { ok: false, reason: describeZodError(parsed.error) };
  let key: string;
  try {
    key = spec.key(parsed.data);
  } catch (error) {
    return { ok: false, reason: `no key: ${(error as Error).message}` };
  }
  if (!key) return { ok: false, reason: "no key: the key is empty" };
  return { ok: true, topic: spec.topic, key, value: JSON.stringify(parsed.data) };
}

/** Topic specs of a dataset by entity, so each record's lookup is one map access. */
export function specsByEntity(dataset: Dataset): Map<string, TopicSpec> {
  return new Map(dataset.topics.map((spec) => [spec.entity, spec]));
}
