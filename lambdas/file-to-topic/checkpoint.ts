/**
 * The per-file progress marker: how far a file has been produced, stored as a small JSON object
 * in the raw bucket under `checkpoints/file-to-topic/<file key>.json`. It makes the function
 * resumable (the next invocation starts at `nextByte`) and idempotent per file version (a
 * redelivered S3 event for a file whose marker says `done` with the same ETag does nothing).
 */
import { GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";

export const CHECKPOINT_PREFIX = "checkpoints/file-to-topic/";

export interface Checkpoint {
  readonly key: string;
  /** The file version this progress belongs to; another ETag means the file was replaced. */
  readonly etag: string;
  /** Byte offset where the next invocation starts (always at a row boundary). */
  readonly nextByte: number;
  readonly nextLine: number;
  /** The CSV header, read by the first invocation. */
  readonly header?: readonly string[];
  readonly produced: number;
  readonly quarantined: number;
  readonly invocations: number;
  readonly done: boolean;
  readonly updatedAt: string;
}

export function checkpointKey(fileKey: string): string {
  return `${CHECKPOINT_PREFIX}${fileKey}.json`;
}

export function freshCheckpoint(key: string, etag: string): Checkpoint {
  return {
    key,
    etag,
    nextByte: 0,
    nextLine: 1,
    produced: 0,
    quarantined: 0,
    invocations: 0,
    done: false,
    updatedAt: new Date().toISOString(),
  };
}

export async function readCheckpoint(
  s3: S3Client,
  bucket: string,
  fileKey: string,
): Promise<Checkpoint | undefined> {
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: checkpointKey(fileKey) }));
    return JSON.parse(await (object.Body?.transformToString() ?? Promise.resolve("null"))) ?? undefined;
  } catch (error) {
    if (error instanceof NoSuchKey || (error as { name?: string }).name === "NoSuchKey") return undefined;
    throw error;
  }
}

export async function writeCheckpoint(s3: S3Client, bucket: string, checkpoint: Checkpoint): Promise<void> {
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: checkpointKey(checkpoint.key),
      Body: JSON.stringify(checkpoint),
      ContentType: "application/json",
    }),
  );
}
