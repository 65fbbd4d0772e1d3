/**
 * Who listens on a TCP port, from /proc (Linux): lets `up` say which process holds a port it
 * needs, e.g. the same services started from another checkout.
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

export interface PortOwner {
  readonly pid: number;
  readonly commandLine: string;
}

/** The process listening on `port` (any address), if /proc lets us see it. */
export function portOwner(port: number): PortOwner | undefined {
  const inodes = listeningInodes(port);
  if (inodes.size === 0) return undefined;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      for (const fd of readdirSync(`/proc/${entry}/fd`)) {
        const target = readlinkSafely(`/proc/${entry}/fd/${fd}`);
        if (target && inodes.has(target.replace(/^socket:\[(\d+)\]$/, "$1"))) {
          const commandLine = readFileSync(`/proc/${entry}/cmdline`, "utf8").replaceAll("\0", " ").trim();
          return { pid: Number(entry), commandLine };
        }
      }
    } catch {
      // not ours to look at, or gone
    }
  }
  return undefined;
}

/** Socket inodes in LISTEN state (0A) on `port`, from /proc/net/tcp and tcp6. */
function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      const [local, state, inode] = [fields[1], fields[3], fields[9]];
      if (!local || !inode || state !== "0A") continue;
      if (Number.parseInt(local.slice(local.lastIndexOf(":") + 1), 16) === port) inodes.add(inode);
    }
  }
  return inodes;
}

function readlinkSafely(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}
