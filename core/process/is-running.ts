/** Whether a process is alive, read from /proc (Linux). */
import { readFileSync } from "node:fs";

/** True while `pid` runs (a zombie, dead but not yet reaped, does not count). */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the parenthesised command name: "<state> <ppid> <pgrp> …".
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}
