/**
 * Splits a byte stream into lines without holding more than one line in memory, keeping the
 * byte offset and line number of each so a reader can stop and later resume at a line
 * boundary (an S3 ranged GET from `nextByte`). Lines are decoded as strict UTF-8: a line
 * with invalid bytes becomes an error for that line only.
 */

export interface Line {
  /** 1-based line number in the whole file. */
  readonly number: number;
  /** The line without its `\n` / `\r\n`; undefined when the line was unusable (see `error`). */
  readonly text?: string;
  /** Why the line could not be read (invalid UTF-8, too long); the stream goes on. */
  readonly error?: string;
  /** Byte offset in the file just after this line's newline: where the next line starts. */
  readonly nextByte: number;
}

export interface SplitOptions {
  /** Byte offset of the first chunk in the file (when resuming mid-file). */
  readonly startByte?: number;
  /** Line number of the first line in the stream. */
  readonly startLine?: number;
  /** Longer lines are reported as errors (their bytes are skipped, not buffered). */
  readonly maxLineBytes?: number;
}

export const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;
const NEWLINE = 0x0a;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

export async function* splitLines(
  chunks: AsyncIterable<Uint8Array>,
  options: SplitOptions = {},
): AsyncGenerator<Line> {
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let offset = options.startByte ?? 0;
  let number = options.startLine ?? 1;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let oversized = false;
  let atFileStart = offset === 0;

  const finish = (bytes: Buffer | undefined, consumed: number): Line => {
    offset += consumed;
    const line = number++;
    if (oversized) {
      oversized = false;
      return { number: line, error: `line longer than ${maxLineBytes} bytes`, nextByte: offset };
    }
    const body = stripCarriageReturn(bytes ?? Buffer.alloc(0));
    try {
      return { number: line, text: decoder.decode(body), nextByte: offset };
    } catch {
      return { number: line, error: "invalid UTF-8", nextByte: offset };
    }
  };

  for await (const chunk of chunks) {
    let buffer = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (atFileStart) {
      // A UTF-8 byte order mark (Excel's CSV export) is not part of the first line's text.
      if (pendingBytes + buffer.length < BOM.length) {
        pending.push(buffer);
        pendingBytes += buffer.length;
        continue;
      }
      buffer = Buffer.concat([...pending, buffer]);
      pending = [];
      pendingBytes = 0;
      atFileStart = false;
      if (buffer.subarray(0, 3).equals(BOM)) {
        buffer = buffer.subarray(3);
        offset += 3;
      }
    }
    let start = 0;
    for (;;) {
      const end = buffer.indexOf(NEWLINE, start);
      if (end === -1) break;
      const piece = buffer.subarray(start, end);
      const consumed = pendingBytes + piece.length + 1;
      const bytes = oversized ? undefined : pending.length ? Buffer.concat([...pending, piece]) : piece;
      if (!oversized && consumed - 1 > maxLineBytes) oversized = true;
      pending = [];
      pendingBytes = 0;
      yield finish(bytes, consumed);
      start = end + 1;
    }
    const rest = buffer.subarray(start);
    if (rest.length > 0) {
      pendingBytes += rest.length;
      // Past the limit, count the bytes but stop keeping them: memory stays bounded.
      if (pendingBytes > maxLineBytes) {
        oversized = true;
        pending = [];
      } else {
        pending.push(Buffer.from(rest));
      }
    }
  }
  if (pendingBytes > 0 || pending.length > 0) {
    const consumed = pendingBytes;
    const bytes = oversized ? undefined : Buffer.concat(pending);
    pendingBytes = 0;
    yield finish(bytes, consumed);
  }
}

function stripCarriageReturn(bytes: Buffer): Buffer {
  return bytes.length > 0 && bytes[bytes.length - 1] === 0x0d ? bytes.subarray(0, -1) : bytes;
}
