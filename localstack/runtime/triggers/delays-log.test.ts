import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DelaysLog, delaysSince, markDelays, rotatedDelaysFile } from "./delays-log.ts";

describe("the S3 notifications' delays log", () => {
  const dirs: string[] = [];
  const fileIn = () => {
    const dir = mkdtempSync(join(tmpdir(), "delays-log-"));
    dirs.push(dir);
    return join(dir, "s3-notification-delays.log");
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it("stays under its cap: rotated to .1, never more than twice the cap on disk", () => {
    // Prepare
    const file = fileIn();
    const log = new DelaysLog(file, 100);

    // Act
    for (let i = 0; i < 1_000; i++) log.append(1_000 + i); // 5 bytes a line: 5,000 bytes in all

    // Assess
    expect(statSync(file).size).toBeLessThanOrEqual(100);
    expect(statSync(rotatedDelaysFile(file)).size).toBeLessThanOrEqual(100);
    const kept = `${readFileSync(rotatedDelaysFile(file), "utf8")}${readFileSync(file, "utf8")}`;
    expect(kept.trimEnd().split("\n").at(-1)).toBe("1999"); // the newest ones are kept
  });

  it("gives the bench every delay since its mark, across a rotation", () => {
    // Prepare: a log that already holds delays (an earlier stage's), then the mark
    const file = fileIn();
    const log = new DelaysLog(file, 100);
    for (let i = 0; i < 15; i++) log.append(100 + i); // 60 bytes
    const mark = markDelays(file);

    // Act: 12 more (48 bytes) take the file past its cap once
    for (let i = 0; i < 12; i++) log.append(200 + i);

    // Assess
    expect(existsSync(rotatedDelaysFile(file))).toBe(true);
    expect(delaysSince(mark)).toEqual(Array.from({ length: 12 }, (_, i) => 200 + i));
  });

  it("reads from a mark taken before the file existed, and from a writer that resumes an existing file", () => {
    // Prepare
    const file = fileIn();
    const mark = markDelays(file);

    // Act: one runtime writes, a next one (a restart) appends to the same file and rotates it
    const first = new DelaysLog(file, 100);
    for (let i = 0; i < 20; i++) first.append(300 + i); // 80 bytes
    const second = new DelaysLog(file, 100);
    for (let i = 0; i < 10; i++) second.append(400 + i); // past the cap: rotated once

    // Assess
    expect(statSync(file).size).toBeLessThanOrEqual(100);
    expect(delaysSince(mark)).toEqual([
      ...Array.from({ length: 20 }, (_, i) => 300 + i),
      ...Array.from({ length: 10 }, (_, i) => 400 + i),
    ]);
  });
});
