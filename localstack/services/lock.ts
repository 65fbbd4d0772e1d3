/**
 * A lock file so that two `services up` (say, the tests' global setup and a developer's shell)
 * don't install or start the same thing twice. A lock whose holder died is taken over.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { ServicesError } from "./errors.ts";
import { isRunning, waitUntil } from "./processes.ts";

export async function withLock<T>(lockFile: string, what: string, fn: () => Promise<T>, timeoutMs = 900_000) {
  const acquired = await waitUntil(() => tryAcquire(lockFile), timeoutMs, 250);
  if (!acquired) {
    throw new ServicesError(`timed out waiting for ${what} (lock ${lockFile} held by another process)`);
  }
  try {
    return await fn();
  } finally {
    rmSync(lockFile, { force: true });
  }
}

function tryAcquire(lockFile: string): boolean {
  try {
    const fd = openSync(lockFile, "wx");
    writeSync(fd, `${process.pid}\n`);
    closeSync(fd);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  const holder = Number(readFileSafely(lockFile));
  if (!Number.isInteger(holder) || holder <= 0 || !isRunning(holder)) rmSync(lockFile, { force: true });
  return false;
}

function readFileSafely(path: string): string {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return "";
  }
}
