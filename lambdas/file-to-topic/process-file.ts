/**
 * Streams one uploaded file to its topic: rows are read from a byte stream (never the whole
 * file), validated and produced in batches; bad rows are quarantined with their line number and
 * reason. Work is done in segments: after each segment every produced record is acknowledged,
 * the quarantine part is written and the checkpoint saved, so a later invocation can resume at
 * the next row. Within a budget (rows, time) the function stops at a row boundary and reports
 * "partial" for the caller to continue.
 */
import { GetObjectCommand, HeadObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { Dataset } from "../../core/datasets/types.ts";
import type { Producer } from "../../core/kafka/client.ts";
import { produceRecords } from "../../core/producer/produce.ts";
import { type Row, readRows } from "../../core/sources/rows.ts";
import type { SourceRecord } from "../../core/sources/types.ts";
import { type Checkpoint, freshCheckpoint, readCheckpoint, writeCheckpoint } from "./checkpoint.ts";
import { QuarantineWriter } from "./quarantine.ts";
import { resolveTarget } from "./target.ts";

export interface FileJob {
  readonly bucket: string;
  readonly key: string;
}

export interface ProcessDeps {
  readonly s3: S3Client;
  readonly producer: Producer;
  readonly datasets: readonly Dataset[];
  readonly quarantineBucket: string;
  /** Where progress markers are kept (the raw bucket). */
  readonly checkpointBucket: string;
  /** Reads the file from a byte offset; default a ranged S3 GetObject. */
  readonly open?: (job: FileJob, fromByte: number, etag: string) => Promise<AsyncIterable<Uint8Array>>;
  /** The file's current ETag and size; default S3 HeadObject. */
  readonly stat?: (job: FileJob) => Promise<{ etag: string; size: number }>;
}

export interface Budget {
  /** Rows to read in this invocation before stopping (default: no limit). */
  readonly maxRows?: number;
  /** True when the invocation must stop soon (e.g. less than 2 minutes left). */
  readonly timeIsUp?: () => boolean;
  /** Rows per segment: acks awaited, quarantine written and checkpoint saved after each. */
  readonly segmentRows?: number;
  readonly batchSize?: number;
}

export type ProcessStatus = "done" | "partial" | "already-done";

export interface ProcessResult {
  readonly status: ProcessStatus;
  readonly checkpoint: Checkpoint;
  /** Counts of this invocation (the checkpoint has the totals for the file). */
  readonly produced: number;
  readonly quarantined: number;
  readonly quarantineKeys: readonly string[];
}

export const DEFAULT_SEGMENT_ROWS = 100_000;

export async function processFile(
  job: FileJob,
  deps: ProcessDeps,
  budget: Budget = {},
): Promise<ProcessResult> {
  const { dataset, spec, format } = resolveTarget(job.key, deps.datasets);
  const { etag, size } = await (deps.stat ?? ((j) => statObject(deps.s3, j)))(job);
  const previous = await readCheckpoint(deps.s3, deps.checkpointBucket, job.key);
  const sameVersion = previous?.etag === etag;
  if (previous && sameVersion && previous.done) {
    return { status: "already-done", checkpoint: previous, produced: 0, quarantined: 0, quarantineKeys: [] };
  }
  const resumed = previous && sameVersion ? previous : freshCheckpoint(job.key, etag);
  const start: Checkpoint = { ...resumed, invocations: resumed.invocations + 1 };

  const quarantine = new QuarantineWriter({
    s3: deps.s3,
    bucket: deps.quarantineBucket,
    dataset: dataset.name,
    entity: spec.entity,
    fileKey: job.key,
  });
  const source = `file:${job.key}`;
  let header = start.header;
  let produced = 0;
  let read = 0;
  let exhausted = start.nextByte >= size;
  let position = { nextByte: start.nextByte, nextLine: start.nextLine };

  if (!exhausted) {
    const body = await (deps.open ?? ((j, from, tag) => openObject(deps.s3, j, from, tag)))(
      job,
      start.nextByte,
      etag,
    );
    const rows = readRows(format, body, {
      startByte: start.nextByte,
      startLine: start.nextLine,
      header,
      onHeader: (h) => {
        header = h;
      },
    })[Symbol.asyncIterator]();
    const segmentRows = budget.segmentRows ?? DEFAULT_SEGMENT_ROWS;
    const maxRows = budget.maxRows ?? Number.POSITIVE_INFINITY;
    const outOfBudget = () => read >= maxRows || (budget.timeIsUp?.() ?? false);

    // One segment's rows as producer records; parse failures go straight to quarantine.
    async function* segment(): AsyncGenerator<SourceRecord> {
      for (let n = 0; n < segmentRows && !outOfBudget(); n++) {
        const next = await rows.next();
        if (next.done) {
          exhausted = true;
          return;
        }
        const row: Row = next.value;
        read++;
        position = { nextByte: row.nextByte, nextLine: row.nextLine };
        if (row.error !== undefined) {
          await quarantine.add({ file: job.key, line: row.line, reason: row.error, value: row.raw ?? null });
        } else {
          yield { entity: spec.entity, value: row.value, line: row.line };
        }
      }
    }

    try {
      while (!exhausted && !outOfBudget()) {
        const result = await produceRecords(deps.producer, dataset, segment(), {
          source,
          batchSize: budget.batchSize,
          onInvalid: (invalid) =>
            quarantine.add({
              file: job.key,
              line: invalid.line ?? 0,
              reason: invalid.reason,
              value: invalid.value,
            }),
        });
        produced += result.produced;
        // Everything before `position` is now acknowledged or quarantined: safe to resume there.
        await quarantine.flush();
        await writeCheckpoint(deps.s3, deps.checkpointBucket, progress());
      }
    } finally {
      await rows.return?.(undefined);
    }
  }
  const final = progress();
  await writeCheckpoint(deps.s3, deps.checkpointBucket, final);
  return {
    status: exhausted ? "done" : "partial",
    checkpoint: final,
    produced,
    quarantined: quarantine.count,
    quarantineKeys: quarantine.keys,
  };

  function progress(): Checkpoint {
    return {
      ...start,
      ...position,
      header,
      produced: start.produced + produced,
      quarantined: start.quarantined + quarantine.count,
      done: exhausted,
      updatedAt: new Date().toISOString(),
    };
  }
}

async function statObject(s3: S3Client, job: FileJob): Promise<{ etag: string; size: number }> {
  const head = await s3.send(new HeadObjectCommand({ Bucket: job.bucket, Key: job.key }));
  return { etag: unquote(head.ETag ?? ""), size: head.ContentLength ?? 0 };
}

/** The object from a byte offset; `IfMatch` makes sure every segment reads the same version. */
async function openObject(
  s3: S3Client,
  job: FileJob,
  fromByte: number,
  etag: string,
): Promise<AsyncIterable<Uint8Array>> {
  const object = await s3.send(
    new GetObjectCommand({
      Bucket: job.bucket,
      Key: job.key,
      Range: fromByte > 0 ? `bytes=${fromByte}-` : undefined,
      IfMatch: `"${etag}"`,
    }),
  );
  return object.Body as unknown as AsyncIterable<Uint8Array>;
}

function unquote(etag: string): string {
  return etag.replace(/^"|"$/g, "");
}
