/**
 * The S3 notifications' delays log (`s3-notification-delays.log` in the runtime dir): one line
 * per invocation, the ms from the object's write to it. A runtime that runs for days would grow
 * it without end, so it is capped: when a line would take it past {@link DELAYS_LOG_MAX_BYTES},
 * it is renamed to `<file>.1` (replacing the one before) and a new file begun — at most twice
 * the cap on disk, the last ≈ 200,000 delays or more kept. The bench reads the delays written
 * since a mark ({@link markDelays}, {@link delaysSince}) across one rotation.
 */
import { appendFileSync, closeSync, openSync, readSync, renameSync, type Stats, statSync } from "node:fs";

/** 1 MB: a line is 2–6 bytes ("95\n"), so one file holds the delays of a 1M-vote bench many times over. */
export const DELAYS_LOG_MAX_BYTES = 1_000_000;

/** Where the delays go when the log is rotated. */
export function rotatedDelaysFile(file: string): string {
  return `${file}.1`;
}

/** Appends delays to `file`, rotating it at `maxBytes`. One writer per file (the runtime). */
export class DelaysLog {
  private readonly file: string;
  private readonly maxBytes: number;
  private size: number | undefined;

  constructor(file: string, maxBytes = DELAYS_LOG_MAX_BYTES) {
    this.file = file;
    this.maxBytes = maxBytes;
  }

  append(delayMs: number): void {
    const line = `${delayMs}\n`;
    this.size ??= statOf(this.file)?.size ?? 0;
    if (this.size > 0 && this.size + line.length > this.maxBytes) {
      renameSync(this.file, rotatedDelaysFile(this.file));
      this.size = 0;
    }
    appendFileSync(this.file, line);
    this.size += line.length;
  }
}

/** Which file was the log, and how much of it was written, at a moment. */
export interface DelaysMark {
  readonly file: string;
  readonly current: FileId | undefined;
  readonly size: number;
  readonly rotated: FileId | undefined;
}

interface FileId {
  readonly ino: number;
  readonly birthtimeMs: number;
}

export function markDelays(file: string): DelaysMark {
  const current = statOf(file);
  return {
    file,
    current: idOf(current),
    size: current?.size ?? 0,
    rotated: idOf(statOf(rotatedDelaysFile(file))),
  };
}

/**
 * The delays written since `mark`, in order. Across one rotation exact; after two or more
 * (more than the cap written in between) the ones in the file rotated away first are lost.
 */
export function delaysSince(mark: DelaysMark): number[] {
  const rotatedFile = rotatedDelaysFile(mark.file);
  const current = statOf(mark.file);
  const rotated = statOf(rotatedFile);
  let text: string;
  if (mark.current && sameFile(current, mark.current)) text = readFrom(mark.file, mark.size);
  else if (mark.current && sameFile(rotated, mark.current))
    text = readFrom(rotatedFile, mark.size) + readFrom(mark.file, 0);
  else if (!mark.current && rotated && !sameFile(rotated, mark.rotated))
    text = readFrom(rotatedFile, 0) + readFrom(mark.file, 0); // begun since the mark, and rotated once
  else if (!mark.current) text = readFrom(mark.file, 0);
  else text = readFrom(rotatedFile, 0) + readFrom(mark.file, 0); // rotated twice or more: what is left
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map(Number)
    .filter(Number.isFinite);
}

function statOf(file: string): Stats | undefined {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
}

function idOf(stats: Stats | undefined): FileId | undefined {
  return stats ? { ino: stats.ino, birthtimeMs: stats.birthtimeMs } : undefined;
}

function sameFile(stats: Stats | undefined, id: FileId | undefined): boolean {
  return (
    stats !== undefined && id !== undefined && stats.ino === id.ino && stats.birthtimeMs === id.birthtimeMs
  );
}

function readFrom(file: string, offset: number): string {
  const size = statOf(file)?.size ?? 0;
  if (size <= offset) return "";
  const buffer = Buffer.alloc(size - offset);
  const fd = openSync(file, "r");
  try {
    readSync(fd, buffer, 0, buffer.length, offset);
  } finally {
    closeSync(fd);
  }
  // A line being appended as we read: only whole lines count.
  const text = buffer.toString("utf8");
  return text.slice(0, text.lastIndexOf("\n") + 1);
}
