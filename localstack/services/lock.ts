/**
 * A lock file so that two `services up` (say, the tests' global setup and a developer's shell)
 * don't install or start the same thing twice. A lock whose holder died is taken over.
 *
 * The lock file appears with its holder's pid already in it (written to a private file, then
 * hard-linked into place, which fails if the lock exists): a waiter never reads a lock that is
 * half-written and mistakes it for an abandoned one.
 */
import { linkSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { isRunning } from "../../core/process/is-running.ts";
import { ServicesError } from "./errors.ts";
import { waitUntil } from "./processes.ts";

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
  const mine = `${lockFile}.${process.pid}`;
  writeFileSync(mine, `${process.pid}\n`);
  try {
    linkSync(mine, lockFile);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  } finally {
    rmSync(mine, { force: true });
  }
  if (!isRunning(holderOf(lockFile))) takeOver(lockFile);
  return false;
}

/**
 * Moves an abandoned lock aside so the next attempt can take the name. Two waiters may both find
 * it abandoned; the one that moves it second may have moved the first one's fresh lock instead,
 * which it puts back.
 */
function takeOver(lockFile: string): void {
  const aside = `${lockFile}.abandoned.${process.pid}`;
  try {
    renameSync(lockFile, aside);
  } catch {
    return; // someone else moved or released it
  }
  if (isRunning(holderOf(aside))) {
    try {
      linkSync(aside, lockFile);
    } catch {
      // a third process holds the name now; its lock stands
    }
  }
  rmSync(aside, { force: true });
}

/** The pid in a lock file; 0 when it is missing or unreadable. */
function holderOf(path: string): number {
  try {
    const pid = Number(readFileSync(path, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : 0;
  } catch {
    return 0;
  }
}
