/**
 * Background processes of the services: started detached (their own session and process
 * group, so they outlive the CLI), logging to a file, tracked by a pid file. A pid only counts
 * as ours while its command line still contains the service's marker (pids get reused).
 */
import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { isRunning } from "../../core/process/is-running.ts";
import { descendants, liveProcesses } from "../../core/process/tree.ts";
import { StopError } from "./errors.ts";

export interface LaunchSpec {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd?: string;
  readonly env?: Record<string, string>;
  /** Run as this user (PostgreSQL refuses to run as root). */
  readonly user?: { readonly uid: number; readonly gid: number };
}

/** Starts `spec` detached with stdout and stderr appended to `logFile`; returns its pid. */
export function launchDetached(spec: LaunchSpec, logFile: string): number {
  const log = openSync(logFile, "a");
  try {
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: { ...process.env, ...spec.env },
      detached: true,
      stdio: ["ignore", log, log],
      uid: spec.user?.uid,
      gid: spec.user?.gid,
    });
    if (child.pid === undefined) throw new Error(`could not start ${spec.command}`);
    child.unref();
    return child.pid;
  } finally {
    closeSync(log);
  }
}

export function readPid(pidFile: string): number | undefined {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, "utf8").trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

export function writePid(pidFile: string, pid: number): void {
  writeFileSync(pidFile, `${pid}\n`);
}

export function removePid(pidFile: string): void {
  rmSync(pidFile, { force: true });
}

/** True when `pid` runs and its command line contains every marker. */
export function isOurs(pid: number, markers: readonly string[]): boolean {
  if (!isRunning(pid)) return false;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
    return markers.every((m) => cmdline.includes(m));
  } catch {
    return false;
  }
}

/**
 * A service's live processes: the leader `pid`, its process group, and its descendants
 * (PostgreSQL's backends start their own sessions, so the group alone misses them).
 */
export function processTree(pid: number): number[] {
  const live = liveProcesses();
  return descendants(new Set(live.filter((p) => p.pid === pid || p.pgrp === pid).map((p) => p.pid)), live);
}

/**
 * Stops a service: `signal` to the leader `pid` (its own clean shutdown), then SIGKILL to
 * whatever of its tree is left after `graceMs`. Resolves once none of the tree is alive.
 */
export async function stopTree(pid: number, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  const tree = processTree(pid);
  const left = () => tree.filter(isRunning);
  signalSafely(pid, signal);
  if (await waitUntil(() => left().length === 0, graceMs)) return;
  for (const member of left()) signalSafely(member, "SIGKILL");
  if (await waitUntil(() => left().length === 0, 5_000)) return;
  throw new StopError(`processes ${left().join(", ")} survived SIGKILL`);
}

/** Polls `check` every `intervalMs` until it holds or `timeoutMs` passed; returns whether it held. */
export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  intervalMs = 200,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(intervalMs);
  }
}

function signalSafely(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
  }
}
