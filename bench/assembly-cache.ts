/**
 * The local target's cloud assembly, kept between benchmark runs: `cdk synth` costs a minute
 * on this 2-core machine, and the template only changes when the code it is built from (or the
 * endpoints baked into it) change — both are in the cache key, so a stale assembly is never used.
 */
import { createHash } from "node:crypto";
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { servicesSettings } from "../localstack/services/settings.ts";

/** Everything `cdk synth -c target=local` reads from the repository. */
const SOURCES = ["infra", "core", "lambdas", "cdk.json", "package-lock.json"];

function cacheRoot(): string {
  return join(servicesSettings().cacheDir, "bench");
}

/** The cached assembly for the current sources and endpoints, if there is one. */
export function cachedAssembly(): string | undefined {
  const dir = join(cacheRoot(), `assembly-${cacheKey()}`);
  return existsSync(join(dir, "manifest.json")) ? dir : undefined;
}

/** Keeps `assemblyDir` as the cached assembly (replacing older ones); returns the cached copy. */
export function cacheAssembly(assemblyDir: string): string {
  const root = cacheRoot();
  const name = `assembly-${cacheKey()}`;
  if (existsSync(root))
    for (const old of readdirSync(root).filter((d) => d.startsWith("assembly-") && d !== name))
      rmSync(join(root, old), { recursive: true, force: true });
  cpSync(assemblyDir, join(root, name), { recursive: true });
  return join(root, name);
}

function cacheKey(): string {
  const { repoRoot } = servicesSettings();
  const hash = createHash("sha256");
  for (const name of ["KAFKA_BROKERS", "AWS_ENDPOINT_URL", "DATABASE_URL"])
    hash.update(`${name}=${process.env[name] ?? ""}\n`);
  for (const file of SOURCES.flatMap((s) => filesUnder(join(repoRoot, s)))) {
    hash.update(relative(repoRoot, file));
    hash.update(readFileSync(file));
  }
  return hash.digest("hex").slice(0, 16);
}

function filesUnder(path: string): string[] {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => {
      if (entry.name === "node_modules" || entry.name.endsWith(".test.ts")) return [];
      const full = join(path, entry.name);
      return entry.isDirectory() ? filesUnder(full) : [full];
    });
}
