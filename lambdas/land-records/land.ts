/**
 * Lands one MSK event: per topic-partition, valid records → one gzip NDJSON object under
 * `raw/`, invalid ones → one object under `quarantine/` with the reason on each line.
 * Object keys depend only on the partition batch (offsets of its first and last record),
 * so a redelivered batch overwrites the same objects. Partitions are written concurrently.
 */
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { findTopic } from "../../core/datasets/index.ts";
import { batchObjectKey, encodeNdjsonGz, UNKNOWN_DATASET } from "../../core/lake/index.ts";
import {
  type DecodedRecord,
  type DecodeOptions,
  decodeMskRecord,
  type MskEvent,
  type MskRecord,
} from "../../core/msk-event/index.ts";
import { ObjectWriteError } from "./errors.ts";

export interface LandingTargets {
  readonly s3: S3Client;
  readonly rawBucket: string;
  readonly quarantineBucket: string;
}

export interface QuarantineLine {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly key: string | null;
  /** The original bytes as text, or base64 when they aren't valid UTF-8. */
  readonly value: string | { readonly base64: string };
  readonly reason: string;
}

export interface PartitionResult {
  readonly topic: string;
  /** `_unknown` when no dataset owns the topic. */
  readonly dataset: string;
  readonly partition: number;
  readonly landed: number;
  readonly quarantined: number;
  readonly rawKey?: string;
  readonly quarantineKey?: string;
}

export async function landEvent(
  event: MskEvent,
  targets: LandingTargets,
  options: DecodeOptions = {},
): Promise<PartitionResult[]> {
  return settleAll(
    Object.values(event.records)
      .filter((records) => records.length > 0)
      .map((records) => landPartitionBatch(records, targets, options)),
  );
}

/** Lands the records of one topic-partition (all share topic and partition). */
export async function landPartitionBatch(
  records: readonly MskRecord[],
  targets: LandingTargets,
  options: DecodeOptions = {},
): Promise<PartitionResult> {
  const { valid, invalid } = splitRecords(records, options);
  const first = records[0] as MskRecord;
  const owner = (options.resolveTopic ?? findTopic)(first.topic);
  const location = {
    dataset: owner?.dataset.name ?? UNKNOWN_DATASET,
    entity: owner?.spec.entity ?? first.topic,
    partition: first.partition,
    ...offsetRange(records),
    firstTimestampMs: first.timestamp,
  };
  const rawKey = valid.length > 0 ? batchObjectKey({ ...location, area: "raw" }) : undefined;
  const quarantineKey = invalid.length > 0 ? batchObjectKey({ ...location, area: "quarantine" }) : undefined;
  await settleAll([
    rawKey ? putNdjsonGz(targets, targets.rawBucket, rawKey, valid) : undefined,
    quarantineKey ? putNdjsonGz(targets, targets.quarantineBucket, quarantineKey, invalid) : undefined,
  ]);
  return {
    topic: first.topic,
    dataset: location.dataset,
    partition: first.partition,
    landed: valid.length,
    quarantined: invalid.length,
    ...(rawKey && { rawKey }),
    ...(quarantineKey && { quarantineKey }),
  };
}

/** Decodes every record; nothing is dropped: each ends up in exactly one of the two lists. */
export function splitRecords(
  records: readonly MskRecord[],
  options: DecodeOptions = {},
): { valid: DecodedRecord[]; invalid: QuarantineLine[] } {
  const valid: DecodedRecord[] = [];
  const invalid: QuarantineLine[] = [];
  for (const record of records) {
    const result = decodeMskRecord(record, options);
    if (result.ok) {
      valid.push(result.record);
      continue;
    }
    invalid.push({
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
      timestamp: record.timestamp,
      key: result.key,
      value: quarantineValue(result.bytes),
      reason: `${result.error.reason}: ${result.error.message}`,
    });
  }
  return { valid, invalid };
}

/** Like Promise.all, but waits for every write to settle before failing, so a retry never races one in flight. */
async function settleAll<T>(work: readonly (T | Promise<T>)[]): Promise<Awaited<T>[]> {
  const results = await Promise.allSettled(work);
  const failed = results.find((r) => r.status === "rejected");
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<Awaited<T>>).value);
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** The original bytes as text when they are valid UTF-8, else as base64 (never lossy). */
export function quarantineValue(bytes: Buffer): QuarantineLine["value"] {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return { base64: bytes.toString("base64") };
  }
}

function offsetRange(records: readonly MskRecord[]): { firstOffset: number; lastOffset: number } {
  let firstOffset = Number.POSITIVE_INFINITY;
  let lastOffset = Number.NEGATIVE_INFINITY;
  for (const { offset } of records) {
    if (offset < firstOffset) firstOffset = offset;
    if (offset > lastOffset) lastOffset = offset;
  }
  return { firstOffset, lastOffset };
}

async function putNdjsonGz(targets: LandingTargets, bucket: string, key: string, lines: readonly unknown[]) {
  const body = await encodeNdjsonGz(lines);
  try {
    await targets.s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: body,
        ContentType: "application/x-ndjson+gzip",
      }),
    );
  } catch (cause) {
    throw new ObjectWriteError(`could not write s3://${bucket}/${key}`, { cause });
  }
}
