/**
 * MSK record → validated canonical record, or the typed reason it isn't one.
 * The value's bytes are decoded strictly (invalid UTF-8 is an error, not U+FFFD), parsed as
 * JSON and validated against the topic's dataset schema. Bad records are returned, not
 * thrown, so a batch goes on past them.
 */
import { type Dataset, findTopic, type TopicSpec } from "../datasets/index.ts";
import {
  InvalidJsonError,
  InvalidUtf8Error,
  MissingKeyError,
  OversizedRecordError,
  type RecordError,
  SchemaViolationError,
  UnknownTopicError,
  UnsupportedCharacterError,
} from "./errors.ts";
import type { MskRecord } from "./types.ts";

/** Lambda's MSK payload limit is 6 MB per batch; a single record above 1 MiB is refused by default. */
export const DEFAULT_MAX_RECORD_BYTES = 1024 * 1024;

export interface DecodeOptions {
  /** Largest accepted value, in bytes (after base64 decoding). */
  readonly maxRecordBytes?: number;
  /** Finds the dataset of a topic; defaults to the dataset registry. */
  readonly resolveTopic?: (topic: string) => { dataset: Dataset; spec: TopicSpec } | undefined;
}

export interface DecodedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly key: string;
  /** The canonical record returned by the dataset schema. */
  readonly value: unknown;
}

export type DecodeResult =
  | { readonly ok: true; readonly record: DecodedRecord }
  | { readonly ok: false; readonly error: RecordError; readonly bytes: Buffer; readonly key: string | null };

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** The bytes of a base64 field (Buffer's decoder ignores stray characters, like Lambda's producer side). */
export function fromBase64(field: string | undefined): Buffer | null {
  return field === undefined || field === null ? null : Buffer.from(field, "base64");
}

export function decodeMskRecord(record: MskRecord, options: DecodeOptions = {}): DecodeResult {
  const bytes = fromBase64(record.value) ?? Buffer.alloc(0);
  const keyBytes = fromBase64(record.key);
  const key = keyBytes === null ? null : keyBytes.toString("utf8");
  const fail = (error: RecordError): DecodeResult => ({ ok: false, error, bytes, key });

  const owner = (options.resolveTopic ?? findTopic)(record.topic);
  if (!owner) return fail(new UnknownTopicError(`no dataset owns topic "${record.topic}"`));
  const max = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  if (bytes.length > max)
    return fail(new OversizedRecordError(`value is ${bytes.length} bytes, limit ${max}`));
  if (key === null || key.length === 0) return fail(new MissingKeyError("record has no key"));

  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch (cause) {
    return fail(new InvalidUtf8Error("value is not valid UTF-8", { cause }));
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    return fail(new InvalidJsonError(`value is not JSON: ${(cause as Error).message}`, { cause }));
  }
  const parsed = owner.spec.schema.safeParse(json);
  if (!parsed.success) {
    const summary = parsed.error.issues
      .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
      .join("; ");
    return fail(new SchemaViolationError(summary, parsed.error.issues, { cause: parsed.error }));
  }
  // Cheap pre-checks on the text (both can only come from \u escapes), exact checks on the value.
  if (text.includes("\\u0000") && someString(parsed.data, (s) => s.includes("\u0000"))) {
    return fail(new UnsupportedCharacterError("value contains U+0000, which jsonb cannot store"));
  }
  if (/\\u[dD][89a-fA-F]/.test(text) && someString(parsed.data, (s) => !s.isWellFormed())) {
    return fail(
      new UnsupportedCharacterError("value contains a lone UTF-16 surrogate, which jsonb cannot store"),
    );
  }
  return {
    ok: true,
    record: {
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
      timestamp: record.timestamp,
      key,
      value: parsed.data,
    },
  };
}

/** Whether any string of a JSON value (object keys included) matches `test`. */
function someString(value: unknown, test: (s: string) => boolean): boolean {
  if (typeof value === "string") return test(value);
  if (Array.isArray(value)) return value.some((v) => someString(v, test));
  if (value !== null && typeof value === "object") {
    return Object.entries(value).some(([k, v]) => test(k) || someString(v, test));
  }
  return false;
}
