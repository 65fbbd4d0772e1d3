/**
 * Synthesizes the local target of the CDK app into a cloud assembly the runtime reads —
 * the same `cdk synth` a deploy runs, with `-c target=local`.
 *
 * `cdk synth` costs half a minute or more on a small machine, and the assembly changes only
 * when what it is built from changes: so the assembly is stamped with a fingerprint of its
 * inputs (the sources the app reads, the lockfile, the context) and a later synth with the
 * same fingerprint reuses it. Two CLIs synthesizing into one directory take turns through a
 * lock (CDK itself would refuse the second with "Another CLI is currently synthing"); the one
 * that waits says so, then finds the other's assembly and reuses it.
 *
 * Every assembly synthesized is also kept by its fingerprint in `.cache/assemblies/` (the newest
 * few): a runtime dir that is new — each test file on its own set of services, each benchmark
 * run — copies the assembly of the same inputs and endpoints from there instead of running
 * `cdk synth` again.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, relative } from "node:path";
import { isRunning } from "../../core/process/is-running.ts";
import { withLock } from "../services/lock.ts";
import { RuntimeError } from "./errors.ts";

export interface SynthOptions {
  readonly repoRoot: string;
  /** Output directory (default `.cache/cdk.out.local`). */
  readonly outDir?: string;
  /** Extra `-c key=value` context, e.g. to try another batch size without code changes. */
  readonly context?: Record<string, string>;
  /** Progress lines ("reusing…", "synthesizing…", "waiting for…"); default none. */
  readonly log?: (message: string) => void;
  /** Synthesize even when the assembly's fingerprint matches. */
  readonly force?: boolean;
  /** Where assemblies are kept by fingerprint for other output dirs (default `.cache/assemblies`). */
  readonly cacheDir?: string;
}

/** How many assemblies `.cache/assemblies/` keeps (one per set of endpoints and sources in use). */
const CACHED_ASSEMBLIES = 8;

/** What `cdk synth -c target=local` reads from the repository (tests excluded). */
const INPUTS = [
  "infra",
  "core",
  "lambdas",
  "dashboard",
  "dbt",
  "cdk.json",
  "package.json",
  "package-lock.json",
  "tsconfig.json",
];
/** Build output and caches inside the inputs: not inputs themselves. */
const NOT_INPUTS = new Set([
  "node_modules",
  "dist",
  "target",
  "logs",
  "dbt_packages",
  "__pycache__",
  ".venv",
]);
const STAMP = "pipeline-inputs.sha256";

export async function synthLocal(options: SynthOptions): Promise<string> {
  const outDir = options.outDir ?? join(options.repoRoot, ".cache", "cdk.out.local");
  const context = { target: "local", ...options.context };
  const log = options.log ?? (() => undefined);
  const fingerprint = inputsFingerprint(options.repoRoot, context);
  if (!options.force && stampOf(outDir) === fingerprint) {
    log(`reusing the cloud assembly in ${outDir} (nothing it is built from changed)`);
    return outDir;
  }
  const lockFile = `${outDir}.lock`;
  mkdirSync(dirname(lockFile), { recursive: true });
  const holder = lockHolder(lockFile);
  if (holder) log(`waiting for the synth that process ${holder} is running into ${outDir}…`);
  return withLock(lockFile, `the synth into ${outDir}`, async () => {
    // The process we waited for may have just built this very assembly.
    if (!options.force && stampOf(outDir) === fingerprint) {
      log(`reusing the cloud assembly process ${holder || "another CLI"} synthesized`);
      return outDir;
    }
    const cacheDir = options.cacheDir ?? join(options.repoRoot, ".cache", "assemblies");
    const cached = join(cacheDir, fingerprint.slice(0, 16));
    if (!options.force && copyFromCache(cached, outDir, fingerprint)) {
      log(`reusing the cloud assembly synthesized for the same sources and endpoints (${cached})`);
      return outDir;
    }
    log("synthesizing the local target (cdk synth -c target=local)…");
    const started = Date.now();
    rmSync(join(outDir, STAMP), { force: true });
    await runCdkSynth(options.repoRoot, outDir, context);
    writeFileSync(join(outDir, STAMP), `${fingerprint}\n`);
    log(`synthesized in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    keepInCache(outDir, cacheDir, cached);
    return outDir;
  });
}

/**
 * Copies a cached assembly into `outDir`; false when there is none, or it went away while being
 * copied (another process — another checkout's tests, the other lane of `npm test` — evicted
 * it): the caller synthesizes instead. A cache entry is only ever added or removed by a rename,
 * so a copy that succeeds is a whole assembly.
 */
function copyFromCache(cached: string, outDir: string, fingerprint: string): boolean {
  if (stampOf(cached) !== fingerprint) return false;
  rmSync(outDir, { recursive: true, force: true });
  try {
    cpSync(cached, outDir, { recursive: true });
    const now = new Date();
    utimesSync(cached, now, now); // recently used: the last to be evicted
  } catch {
    rmSync(outDir, { recursive: true, force: true });
    return false;
  }
  return stampOf(outDir) === fingerprint;
}

/**
 * Copies a fresh assembly into the cache, dropping the least recently used. Processes of several
 * checkouts' tests share the cache and read it while others write: an entry appears whole (a
 * rename of a finished copy), is never rewritten in place (one already there with the same
 * fingerprint is the same assembly, and is kept), and disappears by a rename before its removal.
 */
function keepInCache(outDir: string, cacheDir: string, cached: string): void {
  mkdirSync(cacheDir, { recursive: true });
  const partial = `${cached}.${process.pid}.partial`;
  rmSync(partial, { recursive: true, force: true });
  cpSync(outDir, partial, { recursive: true });
  if (existsSync(cached)) removeEntry(cached); // an entry of other inputs under the same prefix, or a broken one
  try {
    renameSync(partial, cached);
  } catch {
    rmSync(partial, { recursive: true, force: true }); // another process put it there meanwhile
  }
  const entries = readdirSync(cacheDir)
    .filter((name) => !name.endsWith(".partial") && !name.endsWith(".evicted"))
    .flatMap((name) => {
      try {
        return [{ path: join(cacheDir, name), mtime: statSync(join(cacheDir, name)).mtimeMs }];
      } catch {
        return []; // evicted by another process meanwhile
      }
    })
    .sort((a, b) => b.mtime - a.mtime);
  for (const old of entries.slice(CACHED_ASSEMBLIES)) removeEntry(old.path);
}

/** Removes a cache entry: renamed away first, so no reader ever copies half of it. */
function removeEntry(path: string): void {
  const evicted = `${path}.${process.pid}.evicted`;
  try {
    renameSync(path, evicted);
  } catch {
    return; // already gone
  }
  rmSync(evicted, { recursive: true, force: true });
}

/** A hash of every input file (path and bytes) and the context; the same inputs, the same hash. */
export function inputsFingerprint(repoRoot: string, context: Record<string, string>): string {
  const hash = createHash("sha256");
  hash.update(JSON.stringify(Object.entries(context).sort(([a], [b]) => a.localeCompare(b))));
  for (const file of INPUTS.flatMap((input) => filesUnder(join(repoRoot, input)))) {
    hash.update(`\n${relative(repoRoot, file)}\n`);
    hash.update(readFileSync(file));
  }
  return hash.digest("hex");
}

function filesUnder(path: string): string[] {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => {
      if (NOT_INPUTS.has(entry.name) || entry.name.endsWith(".test.ts")) return [];
      const full = join(path, entry.name);
      if (entry.isDirectory()) return filesUnder(full);
      return entry.isFile() ? [full] : [];
    });
}

function stampOf(outDir: string): string | undefined {
  const stamp = join(outDir, STAMP);
  if (!existsSync(stamp) || !existsSync(join(outDir, "manifest.json"))) return undefined;
  return readFileSync(stamp, "utf8").trim();
}

/** The live pid holding the lock, or 0. */
function lockHolder(lockFile: string): number {
  try {
    const pid = Number(readFileSync(lockFile, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 && isRunning(pid) ? pid : 0;
  } catch {
    return 0;
  }
}

async function runCdkSynth(repoRoot: string, outDir: string, context: Record<string, string>): Promise<void> {
  const args = [
    "synth",
    "--quiet",
    "-o",
    outDir,
    ...Object.entries(context).flatMap(([k, v]) => ["-c", `${k}=${v}`]),
  ];
  const cdk = join(repoRoot, "node_modules", ".bin", "cdk");
  await new Promise<void>((resolve, reject) => {
    const child = spawn(cdk, args, {
      cwd: repoRoot,
      // cdk runs the app with `node`: make sure it's the project's Node 24.
      env: {
        ...process.env,
        PATH: `${join(repoRoot, "node_modules", ".bin")}:${process.env.PATH ?? ""}`,
        CDK_DISABLE_VERSION_CHECK: "1",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const chunks: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => chunks.push(c));
    child.stderr.on("data", (c: Buffer) => chunks.push(c));
    child.on("error", reject);
    child.on("close", (code) => {
      const text = Buffer.concat(chunks).toString("utf8");
      if (code === 0) resolve();
      else
        reject(new RuntimeError(`cdk synth (local target) failed with exit ${code}:\n${text.slice(-4000)}`));
    });
  });
}
