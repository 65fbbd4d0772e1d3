/**
 * Who owns a running service: the process whose lifetime it belongs to. A command that owns
 * what it starts (`pipeline bench`, `demo`, `local up`: `ownServicesStarted()`) leaves an owner
 * file beside each pid file; `services up` leaves none, so a developer's services never have
 * an owner and nothing but `services down` stops them.
 *
 * An owner is a pid and that process's start time (pids get reused): once the process is gone,
 * its services are stale — the next owning command adopts them (the shared state dir) or
 * stops them (the benchmark's set), instead of refusing their ports.
 */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface Owner {
  readonly pid: number;
  /** The process's start time in clock ticks since boot (/proc/<pid>/stat, field 22). */
  readonly startTicks: string;
  /** What it runs, for messages (e.g. "pipeline bench"). */
  readonly command: string;
}

let owning = false;

/** From now on, every service this process starts is owned by it (see the module comment). */
export function ownServicesStarted(): void {
  owning = true;
}

export function ownsServicesStarted(): boolean {
  return owning;
}

/** This process as an owner. */
export function thisProcess(): Owner {
  const args = process.argv.slice(2);
  const firstOption = args.findIndex((arg) => arg.startsWith("-"));
  const command = args.slice(0, Math.min(2, firstOption < 0 ? args.length : firstOption)).join(" ");
  return { pid: process.pid, startTicks: startTicks(process.pid) ?? "", command: `pipeline ${command}` };
}

export function ownerFile(serviceDir: string): string {
  return join(serviceDir, "owner.json");
}

export function readOwner(file: string): Owner | undefined {
  try {
    const owner = JSON.parse(readFileSync(file, "utf8")) as Owner;
    return Number.isInteger(owner.pid) && typeof owner.startTicks === "string" ? owner : undefined;
  } catch {
    return undefined;
  }
}

export function writeOwner(file: string, owner: Owner): void {
  writeFileSync(file, `${JSON.stringify(owner)}\n`);
}

export function removeOwner(file: string): void {
  rmSync(file, { force: true });
}

/** Whether the owner's process still runs (the same process: same pid and start time). */
export function ownerAlive(owner: Owner): boolean {
  const ticks = startTicks(owner.pid);
  return ticks !== undefined && ticks === owner.startTicks;
}

export function isThisProcess(owner: Owner): boolean {
  return owner.pid === process.pid && ownerAlive(owner);
}

/** A live process's start time (field 22 of /proc/<pid>/stat); undefined when gone or a zombie. */
function startTicks(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the parenthesised command name start at field 3 (state).
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[0] === "Z" ? undefined : fields[19];
  } catch {
    return undefined;
  }
}
