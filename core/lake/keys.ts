/**
 * The S3 key layout of landed batches (docs/ARCHITECTURE.md, "S3 lake"):
 *
 *   raw/<dataset>/<entity>/dt=YYYY-MM-DD/hr=HH/p=<partition>/<firstOffset>-<lastOffset>.ndjson.gz
 *   quarantine/<dataset>/<entity>/dt=…/hr=…/p=…/<first>-<last>.ndjson.gz
 *   quarantine/_unknown/<topic>/dt=…/hr=…/p=…/<first>-<last>.ndjson.gz
 *
 * Keys are a pure function of the batch (topic-partition, offsets, first timestamp), so a
 * redelivered batch overwrites the same object. Offsets are zero-padded to 20 digits (the
 * width of a signed 64-bit integer) so keys sort in offset order.
 */
import { PipelineError } from "../errors.ts";
export const RAW_PREFIX = "raw/";
export const QUARANTINE_PREFIX = "quarantine/";
/** The dataset folder of records whose topic no dataset owns. */
export const UNKNOWN_DATASET = "_unknown";

const OFFSET_WIDTH = 20;

export type LakeArea = "raw" | "quarantine";

export interface BatchLocation {
  readonly area: LakeArea;
  readonly dataset: string;
  /** The entity folder; for `_unknown` records, the topic name. */
  readonly entity: string;
  readonly partition: number;
  readonly firstOffset: bigint | number | string;
  readonly lastOffset: bigint | number | string;
  /** Kafka timestamp (ms) of the first record in the batch: decides dt= and hr=. */
  readonly firstTimestampMs: number;
}

export interface ParsedBatchKey {
  readonly area: LakeArea;
  readonly dataset: string;
  readonly entity: string;
  readonly dt: string;
  readonly hr: string;
  readonly partition: number;
  readonly firstOffset: bigint;
  readonly lastOffset: bigint;
}

export function padOffset(offset: bigint | number | string): string {
  const value = BigInt(offset);
  if (value < 0n) throw new LakeKeyError(`negative offset ${value}`);
  return value.toString().padStart(OFFSET_WIDTH, "0");
}

/** The range of four-digit years: the key layout (and its parser) has room for no other. */
const FIRST_PARTITION_MS = Date.parse("0000-01-01T00:00:00Z");
const LAST_PARTITION_MS = Date.parse("9999-12-31T23:59:59.999Z");

/**
 * dt=YYYY-MM-DD and hr=HH, in UTC. A producer may set any Kafka timestamp: one outside years
 * 0000–9999 is filed under the nearest end (the record keeps its own timestamp), so the
 * object key stays one the loader can parse.
 */
export function datePartition(timestampMs: number): { dt: string; hr: string } {
  const date = new Date(timestampMs);
  if (Number.isNaN(date.getTime())) throw new LakeKeyError(`invalid timestamp ${timestampMs}`);
  const iso = new Date(Math.min(Math.max(timestampMs, FIRST_PARTITION_MS), LAST_PARTITION_MS)).toISOString();
  return { dt: iso.slice(0, 10), hr: iso.slice(11, 13) };
}

export function batchObjectKey(location: BatchLocation): string {
  const { dt, hr } = datePartition(location.firstTimestampMs);
  for (const segment of [location.dataset, location.entity]) assertSegment(segment);
  if (!Number.isInteger(location.partition) || location.partition < 0) {
    throw new LakeKeyError(`invalid partition ${location.partition}`);
  }
  return (
    `${location.area}/${location.dataset}/${location.entity}/dt=${dt}/hr=${hr}/p=${location.partition}/` +
    `${padOffset(location.firstOffset)}-${padOffset(location.lastOffset)}.ndjson.gz`
  );
}

const KEY_PATTERN =
  /^(raw|quarantine)\/([^/]+)\/([^/]+)\/dt=(\d{4}-\d{2}-\d{2})\/hr=(\d{2})\/p=(\d+)\/(\d{20})-(\d{20})\.ndjson\.gz$/;

/** Parses a landed batch key; undefined for any other key (e.g. `incoming/…`). */
export function parseBatchKey(key: string): ParsedBatchKey | undefined {
  const match = KEY_PATTERN.exec(key);
  if (!match) return undefined;
  const [, area, dataset, entity, dt, hr, partition, first, last] = match as unknown as string[];
  return {
    area: area as LakeArea,
    dataset: dataset as string,
    entity: entity as string,
    dt: dt as string,
    hr: hr as string,
    partition: Number(partition),
    firstOffset: BigInt(first as string),
    lastOffset: BigInt(last as string),
  };
}

/** The `raw/` prefixes of every dt= day from `from` to `to` (inclusive, YYYY-MM-DD) of one entity. */
export function dayPrefixes(from: string, to: string): string[] {
  const start = Date.parse(`${from}T00:00:00Z`);
  const end = Date.parse(`${to}T00:00:00Z`);
  if (Number.isNaN(start) || Number.isNaN(end) || start > end) {
    throw new LakeKeyError(`invalid date range ${from}..${to}`);
  }
  const days: string[] = [];
  for (let t = start; t <= end; t += 86_400_000) days.push(new Date(t).toISOString().slice(0, 10));
  return days;
}

function assertSegment(segment: string): void {
  // Topic names may contain dots; anything that would change the key's structure may not.
  if (!/^[A-Za-z0-9._-]+$/.test(segment)) throw new LakeKeyError(`invalid key segment "${segment}"`);
}

export class LakeKeyError extends PipelineError {}
