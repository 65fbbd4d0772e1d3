/**
 * CPU time and memory of processes, from /proc (Linux): the runtime's own, and each native
 * service's with its children (PostgreSQL runs a backend process per connection).
 */
import { readdirSync, readFileSync } from "node:fs";

/** CPU time and peak resident memory of a process. */
export interface ProcessUsage {
  /** User + system CPU seconds since the process started. */
  readonly cpuSeconds: number;
  /** Peak resident set size (VmHWM), bytes. */
  readonly peakRssBytes: number;
}

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux

export function processUsage(pid: number): ProcessUsage {
  const { ticks } = readStat(pid) ?? { ticks: 0 };
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const hwmKb = Number(/^VmHWM:\s+(\d+)/m.exec(status)?.[1] ?? 0);
  return { cpuSeconds: ticks / CLOCK_TICKS_PER_SECOND, peakRssBytes: hwmKb * 1024 };
}

/**
 * CPU seconds of a process and every live descendant, plus what its exited children used
 * (a process tree's total; compare two readings for the CPU spent in between).
 */
export function processTreeCpuSeconds(root: number): number {
  const stats = readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .map((name) => readStat(Number(name)))
    .filter((s): s is Stat => s !== undefined);
  const children = new Map<number, Stat[]>();
  for (const s of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s]);
  let ticks = 0;
  const visit = (stat: Stat) => {
    ticks += stat.ticks + stat.childTicks;
    for (const child of children.get(stat.pid) ?? []) visit(child);
  };
  const rootStat = stats.find((s) => s.pid === root);
  if (rootStat) visit(rootStat);
  return ticks / CLOCK_TICKS_PER_SECOND;
}

interface Stat {
  readonly pid: number;
  readonly ppid: number;
  /** utime + stime */
  readonly ticks: number;
  /** cutime + cstime: children that exited and were waited for */
  readonly childTicks: number;
}

function readStat(pid: number): Stat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined; // it exited meanwhile
  }
  // Fields after the command name (which may hold spaces and parentheses) start at field 3.
  const f = text
    .slice(text.lastIndexOf(")") + 2)
    .split(" ")
    .map(Number);
  return {
    pid,
    ppid: f[1] ?? 0,
    ticks: (f[11] ?? 0) + (f[12] ?? 0),
    childTicks: (f[13] ?? 0) + (f[14] ?? 0),
  };
}

/** CPU seconds of named process trees at one moment; `since` gives what each spent after it. */
export function cpuSnapshot(pids: Readonly<Record<string, number>>) {
  const before = Object.entries(pids).map(([name, pid]) => ({
    name,
    pid,
    seconds: processTreeCpuSeconds(pid),
  }));
  return {
    since: (): Record<string, number> =>
      Object.fromEntries(
        before.map(({ name, pid, seconds }) => [
          name,
          Math.round((processTreeCpuSeconds(pid) - seconds) * 100) / 100,
        ]),
      ),
  };
}
