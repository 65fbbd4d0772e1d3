/**
 * Where the runtime's time goes: a summary of the V8 CPU profiles `--cpu-prof` wrote (one per
 * thread — the runtime's main thread and each function's worker), self time grouped by module
 * (a package, a project file, or node's internals) and the top functions.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface Share {
  readonly name: string;
  readonly ms: number;
  /** Of the thread's sampled time, 0–100. */
  readonly percent: number;
}

export interface ThreadProfile {
  readonly file: string;
  /** The Lambda functions whose code ran on this thread, or "runtime main thread". */
  readonly thread: string;
  readonly sampledMs: number;
  /** Sampled time not idle (the "(idle)" node left out). */
  readonly busyMs: number;
  readonly modules: readonly Share[];
  readonly functions: readonly Share[];
}

export function summarizeProfiles(dir: string, top = 8): ThreadProfile[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".cpuprofile"))
    .map((file) =>
      summarizeProfile(file, JSON.parse(readFileSync(join(dir, file), "utf8")) as CpuProfile, top),
    )
    .filter((p) => p.busyMs > 0)
    .sort((a, b) => b.busyMs - a.busyMs);
}

export function summarizeProfile(file: string, profile: CpuProfile, top: number): ThreadProfile {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfMs = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    selfMs.set(id, (selfMs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  const modules = new Map<string, number>();
  const functions = new Map<string, number>();
  const lambdas = new Set<string>();
  let busyMs = 0;
  for (const [id, ms] of selfMs) {
    const frame = byId.get(id)?.callFrame;
    if (!frame || frame.functionName === "(idle)" || frame.functionName === "(program)") continue;
    busyMs += ms;
    const module = moduleOf(frame.url, frame.functionName);
    const lambda = /\/lambdas\/([^/]+)\//.exec(frame.url)?.[1];
    if (lambda) lambdas.add(lambda);
    modules.set(module, (modules.get(module) ?? 0) + ms);
    const name = `${frame.functionName || "(anonymous)"} ${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
    functions.set(name, (functions.get(name) ?? 0) + ms);
  }
  const sampledMs = (profile.endTime - profile.startTime) / 1000;
  const shares = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, ms]) => ({ name, ms: Math.round(ms), percent: Math.round((ms / busyMs) * 1000) / 10 }));
  return {
    file,
    thread: lambdas.size > 0 ? [...lambdas].join("+") : "runtime main thread",
    sampledMs: Math.round(sampledMs),
    busyMs: Math.round(busyMs),
    modules: shares(modules),
    functions: shares(functions),
  };
}

/** A package name, a project path, or "(gc)", "node:<internal>". */
function moduleOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith("(") ? functionName : "(native)";
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1] as string;
  if (url.startsWith("node:")) return url;
  return shortUrl(url);
}

function shortUrl(url: string): string {
  const project = /\/(core|lambdas|localstack|bench|cli)\/.*/.exec(url);
  if (project) return project[0].slice(1);
  return url.replace(/^file:\/\/.*node_modules\//, "");
}

export function formatProfiles(profiles: readonly ThreadProfile[]): string[] {
  const lines: string[] = [];
  for (const p of profiles) {
    lines.push(
      `${p.thread}: ${Math.round(p.busyMs / 1000)} s busy of ${Math.round(p.sampledMs / 1000)} s (${p.file})`,
    );
    lines.push(`  by module:   ${p.modules.map((s) => `${s.name} ${s.percent} %`).join(", ")}`);
    for (const f of p.functions) lines.push(`  ${String(f.percent).padStart(5)} %  ${f.name}`);
  }
  return lines;
}
