/**
 * Why a Kafka record can't be landed. Every kind is a subclass of RecordError, so callers
 * can tell a bad record (quarantine it, go on) from an infrastructure failure (retry the
 * batch) by type. `reason` is the short machine-readable kind written to quarantine lines.
 */
import type { z } from "zod";
import { PipelineError } from "../errors.ts";

export abstract class RecordError extends PipelineError {
  abstract readonly reason: string;
}

export class UnknownTopicError extends RecordError {
  readonly reason = "unknown-topic";
}

export class OversizedRecordError extends RecordError {
  readonly reason = "oversized";
}

export class InvalidUtf8Error extends RecordError {
  readonly reason = "invalid-utf8";
}

export class InvalidJsonError extends RecordError {
  readonly reason = "invalid-json";
}

export class SchemaViolationError extends RecordError {
  readonly reason = "schema-violation";
  readonly issues: readonly z.core.$ZodIssue[];
  constructor(message: string, issues: readonly z.core.$ZodIssue[], options?: ErrorOptions) {
    super(message, options);
    this.issues = issues;
  }
}

export class MissingKeyError extends RecordError {
  readonly reason = "missing-key";
}

/** PostgreSQL's jsonb can't hold U+0000; such a record would block its whole object's load. */
export class UnsupportedCharacterError extends RecordError {
  readonly reason = "unsupported-character";
}
