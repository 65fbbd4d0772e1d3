/** Process trees, read from /proc (Linux). */
import { readdirSync, readFileSync } from "node:fs";

export interface ProcInfo {
  readonly pid: number;
  readonly ppid: number;
  readonly pgrp: number;
  readonly session: number;
}

/** Every live (non-zombie) process, from /proc. */
export function liveProcesses(): ProcInfo[] {
  const live: ProcInfo[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const [state, ppid, pgrp, session] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (state !== "Z")
        live.push({ pid: Number(entry), ppid: Number(ppid), pgrp: Number(pgrp), session: Number(session) });
    } catch {
      // the process ended while we looked
    }
  }
  return live;
}

/** `roots` and every live descendant of them (by parent pid), sorted. */
export function descendants(roots: ReadonlySet<number>, live = liveProcesses()): number[] {
  const tree = new Set(roots);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of live) {
      if (!tree.has(p.pid) && tree.has(p.ppid)) {
        tree.add(p.pid);
        grew = true;
      }
    }
  }
  return [...tree].filter((pid) => live.some((p) => p.pid === pid)).sort((a, b) => a - b);
}
