/**
 * Ctrl-C (SIGINT) and SIGTERM for a command that started things: the cleanups registered with
 * `onInterrupt` run (last registered first), then the process exits with the conventional
 * status, 128 + the signal's number (130, 143). A second signal while they run exits at once.
 */
import { constants } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { isRunning } from "./is-running.ts";
import { descendants, liveProcesses } from "./tree.ts";

export type Cleanup = () => Promise<void> | void;

const cleanups: Cleanup[] = [];
let received: NodeJS.Signals | undefined;
let installed = false;

/** Registers `cleanup` for an interrupt; returns a function that unregisters it. */
export function onInterrupt(cleanup: Cleanup): () => void {
  install();
  cleanups.push(cleanup);
  return () => {
    const index = cleanups.lastIndexOf(cleanup);
    if (index >= 0) cleanups.splice(index, 1);
  };
}

/** The signal being handled, once one arrived (the main flow's errors after it are expected). */
export function interruptedBy(): NodeJS.Signals | undefined {
  return received;
}

/**
 * Treats the end of standard input as SIGTERM: a parent that keeps the pipe open (the benchmark
 * driving `local up`) stops this process by closing it — or by dying, even by SIGKILL.
 */
export function stopWhenStdinCloses(): void {
  install();
  process.stdin.once("end", () => void handle("SIGTERM"));
  process.stdin.once("error", () => void handle("SIGTERM"));
  process.stdin.resume();
  // Reading must not keep the process alive on its own (a command that failed still exits).
  (process.stdin as { unref?: () => void }).unref?.();
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on("SIGINT", () => void handle("SIGINT"));
  process.on("SIGTERM", () => void handle("SIGTERM"));
}

async function handle(signal: NodeJS.Signals): Promise<void> {
  const status = 128 + (constants.signals[signal] ?? 15);
  if (received) {
    // A second Ctrl-C means "now". A SIGTERM meanwhile (a parent stopping its children, which
    // a terminal's Ctrl-C reached too) lets the cleanup finish.
    if (signal !== "SIGINT") return;
    console.error(`pipeline: ${signal} again: exiting without finishing the cleanup`);
    process.exit(status);
  }
  received = signal;
  // The command's own work runs on meanwhile and fails as what it uses goes away: expected now,
  // and no reason to exit before the cleanup has finished.
  process.on("uncaughtException", () => undefined);
  process.on("unhandledRejection", () => undefined);
  console.error(`pipeline: ${signal}: stopping what this command started…`);
  for (const cleanup of cleanups.splice(0).reverse()) {
    try {
      await cleanup();
    } catch (error) {
      console.error(`pipeline: cleanup after ${signal}: ${(error as Error).message}`);
    }
  }
  await stopChildren();
  process.exit(status);
}

/**
 * Stops what is left of this process's children (a `cdk synth`, a dbt task): every descendant
 * in this process's session. The native services run in sessions of their own and are not
 * touched here — the cleanups stopped those this command owns, and the others run on.
 */
async function stopChildren(graceMs = 10_000): Promise<void> {
  const live = liveProcesses();
  const session = live.find((p) => p.pid === process.pid)?.session;
  const inSession = new Set(live.filter((p) => p.session === session).map((p) => p.pid));
  const children = descendants(new Set([process.pid]), live).filter(
    (pid) => pid !== process.pid && inSession.has(pid),
  );
  const left = () => children.filter(isRunning);
  const signal = (name: NodeJS.Signals) => {
    for (const pid of left()) {
      try {
        process.kill(pid, name);
      } catch {
        // gone meanwhile
      }
    }
  };
  signal("SIGTERM");
  for (const deadline = Date.now() + graceMs; left().length > 0 && Date.now() < deadline; ) await sleep(100);
  signal("SIGKILL");
}
