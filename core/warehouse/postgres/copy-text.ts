/**
 * NDJSON → COPY's text format, one line per row in a single text column. In that format a
 * backslash starts an escape and tab/CR are special, so they are escaped; JSON never has a
 * raw newline inside a line, so lines map to rows one to one. Each special character is a
 * single byte that never occurs inside a multi-byte UTF-8 sequence, so chunks are escaped
 * independently (the latin1 round trip keeps every byte as it is).
 */
import { Transform } from "node:stream";

const ESCAPES: Record<string, string> = { "\\": "\\\\", "\t": "\\t", "\r": "\\r" };

export function escapeCopyText(chunk: Buffer): Buffer {
  return Buffer.from(
    chunk.toString("latin1").replace(/[\\\t\r]/g, (c) => ESCAPES[c] as string),
    "latin1",
  );
}

export function copyTextEscaper(): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      done(null, escapeCopyText(chunk));
    },
  });
}
