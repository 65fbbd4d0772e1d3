/**
 * Rows of an uploaded file that can't be produced (unparseable or invalid), written as gzip
 * NDJSON parts under `quarantine/<dataset>/<entity>/files/<file key>/<first line>.ndjson.gz`.
 * A part is named after its first line, so a resumed invocation rewrites the same part rather
 * than adding a duplicate. Only `maxRows` rows are held before a part is written.
 */
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { encodeNdjsonGz } from "../../core/lake/ndjson.ts";

export interface QuarantinedRow {
  readonly file: string;
  readonly line: number;
  readonly reason: string;
  /** The row as read: its text, or the parsed CSV/JSON value. */
  readonly value: unknown;
}

export function quarantinePartKey(
  dataset: string,
  entity: string,
  fileKey: string,
  firstLine: number,
): string {
  return `quarantine/${dataset}/${entity}/files/${fileKey}/${String(firstLine).padStart(12, "0")}.ndjson.gz`;
}

export class QuarantineWriter {
  readonly #rows: QuarantinedRow[] = [];
  readonly #keys: string[] = [];
  #count = 0;
  readonly #s3: S3Client;
  readonly #bucket: string;
  readonly #part: (firstLine: number) => string;
  readonly #maxRows: number;

  constructor(options: {
    s3: S3Client;
    bucket: string;
    dataset: string;
    entity: string;
    fileKey: string;
    maxRows?: number;
  }) {
    this.#s3 = options.s3;
    this.#bucket = options.bucket;
    this.#part = (line) => quarantinePartKey(options.dataset, options.entity, options.fileKey, line);
    this.#maxRows = options.maxRows ?? 5000;
  }

  get count(): number {
    return this.#count;
  }

  /** Keys of the parts written so far. */
  get keys(): readonly string[] {
    return this.#keys;
  }

  async add(row: QuarantinedRow): Promise<void> {
    this.#rows.push(row);
    this.#count++;
    if (this.#rows.length >= this.#maxRows) await this.flush();
  }

  async flush(): Promise<void> {
    const first = this.#rows[0];
    if (!first) return;
    const key = this.#part(first.line);
    const body = await encodeNdjsonGz(this.#rows.splice(0));
    await this.#s3.send(
      new PutObjectCommand({
        Bucket: this.#bucket,
        Key: key,
        Body: body,
        ContentType: "application/x-ndjson",
        ContentEncoding: "gzip",
      }),
    );
    this.#keys.push(key);
  }
}
