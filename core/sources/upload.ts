/**
 * Puts a local file where file-to-topic picks it up: `incoming/<dataset>/[<entity>/]<basename>`
 * in the raw bucket. Streams the file (no whole-file buffer); offline, creates the bucket if the
 * emulator doesn't have it yet.
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { basename } from "node:path";
import { CreateBucketCommand, HeadBucketCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { Dataset } from "../datasets/types.ts";
import { formatOf } from "./rows.ts";
import { SourceError } from "./types.ts";

export function incomingKey(dataset: Dataset, file: string, entity?: string): string {
  if (!formatOf(file))
    throw new SourceError(`${basename(file)}: only .csv, .ndjson and .jsonl files can be uploaded`);
  if (entity !== undefined && !dataset.topics.some((t) => t.entity === entity)) {
    const entities = dataset.topics.map((t) => t.entity).join(", ");
    throw new SourceError(`dataset "${dataset.name}" has no entity "${entity}" (it has: ${entities})`);
  }
  if (entity === undefined && dataset.topics.length > 1) {
    const entities = dataset.topics.map((t) => t.entity).join(", ");
    throw new SourceError(`dataset "${dataset.name}" has several entities: pass --entity (${entities})`);
  }
  return `incoming/${dataset.name}/${entity ? `${entity}/` : ""}${basename(file)}`;
}

export async function ensureBucket(s3: S3Client, bucket: string): Promise<void> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  }
}

export async function uploadFile(
  s3: S3Client,
  options: { bucket: string; key: string; file: string; createBucket: boolean },
): Promise<{ bucket: string; key: string; bytes: number; etag: string }> {
  let size: number;
  try {
    size = (await stat(options.file)).size;
  } catch (cause) {
    throw new SourceError(`cannot read ${options.file}`, { cause });
  }
  if (options.createBucket) await ensureBucket(s3, options.bucket);
  const out = await s3.send(
    new PutObjectCommand({
      Bucket: options.bucket,
      Key: options.key,
      Body: createReadStream(options.file),
      ContentLength: size,
    }),
  );
  return {
    bucket: options.bucket,
    key: options.key,
    bytes: size,
    etag: (out.ETag ?? "").replaceAll('"', ""),
  };
}
