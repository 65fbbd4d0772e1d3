/**
 * The local target's cloud assembly, kept between benchmark runs: `cdk synth` costs a minute
 * on this 2-core machine, and the template only changes when the code it is built from (or the
 * endpoints baked into it) change — both are in the cache key, so a stale assembly is never used.
 */
import { cpSync, existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { inputsFingerprint } from "../localstack/runtime/synth.ts";
import { servicesSettings } from "../localstack/services/settings.ts";

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
  // The same fingerprint the synth stamps its assemblies with: its inputs, plus the endpoints.
  const endpoints = Object.fromEntries(
    ["KAFKA_BROKERS", "AWS_ENDPOINT_URL", "DATABASE_URL"].map((name) => [name, process.env[name] ?? ""]),
  );
  return inputsFingerprint(servicesSettings().repoRoot, endpoints).slice(0, 16);
}
