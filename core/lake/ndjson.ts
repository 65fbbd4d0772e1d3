/**
 * Gzip NDJSON, the format of every object under `raw/` and `quarantine/`: one JSON value per
 * line, `\n` separated, gzip-compressed. Encoding runs zlib on the libuv thread pool so
 * several partitions compress in parallel; decoding streams, so an object never has to fit
 * in memory as a whole.
 */
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { promisify } from "node:util";
import { createGunzip, gzip } from "node:zlib";

const gzipAsync = promisify(gzip);

/** Serialises `lines` to gzip NDJSON (JSON.stringify never emits a raw newline). */
export async function encodeNdjsonGz(lines: Iterable<unknown>): Promise<Buffer> {
  const parts: string[] = [];
  for (const line of lines) parts.push(JSON.stringify(line));
  return gzipAsync(Buffer.from(`${parts.join("\n")}\n`, "utf8"));
}

/** The uncompressed NDJSON text stream of a gzip NDJSON byte stream. */
export function gunzipStream(body: Readable): Readable {
  const gunzip = createGunzip();
  body.on("error", (error) => gunzip.destroy(error));
  return body.pipe(gunzip);
}

/** Yields each parsed line of a gzip NDJSON byte stream (blank lines are skipped). */
export async function* decodeNdjsonGz<T = unknown>(body: Readable): AsyncGenerator<T> {
  const lines = createInterface({ input: gunzipStream(body), crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) {
    if (line.length > 0) yield JSON.parse(line) as T;
  }
}
