/**
 * What every CLI entry into the local runtime does first: point the process at the native
 * services, synthesize the local target (or reuse a given assembly), and load it.
 */
import { join } from "node:path";
import { localEndpoints, useLocalAwsEnv } from "../../core/config/index.ts";
import { clientEnv, servicesSettings } from "../services/settings.ts";
import { LocalRuntime } from "./runtime.ts";
import { synthLocal } from "./synth.ts";

export interface OpenOptions {
  /** Use this cloud assembly instead of synthesizing. */
  readonly assemblyDir?: string;
  /** Extra CDK context for the synth (e.g. `{ envName: "dev" }`). */
  readonly context?: Record<string, string>;
  readonly log?: (message: string) => void;
  /** The synth's progress lines ("reusing…", "synthesizing…"); default `log`, else the console. */
  readonly progress?: (message: string) => void;
}

/** Run history, function logs and S3 notification delays; `PIPELINE_RUNTIME_DIR` overrides it. */
export const RUNTIME_STATE_DIR = (repoRoot: string) =>
  process.env.PIPELINE_RUNTIME_DIR ?? join(repoRoot, ".cache", "runtime");

/** Sets the service endpoints (unless already set) on this process's environment. */
export function useLocalServicesEnv(): void {
  const settings = servicesSettings();
  for (const [key, value] of Object.entries(clientEnv(settings))) process.env[key] ??= value;
  useLocalAwsEnv();
}

export async function openRuntime(options: OpenOptions = {}): Promise<LocalRuntime> {
  useLocalServicesEnv();
  const repoRoot = servicesSettings().repoRoot;
  // The local target bakes endpoints into the template: give it the ones this process uses.
  const local = localEndpoints();
  const endpoints = {
    localKafkaBrokers: local.kafkaBrokers,
    localAwsEndpoint: local.awsEndpoint,
    localDatabaseUrl: local.databaseUrl,
  };
  const assemblyDir =
    options.assemblyDir ??
    (await synthLocal({
      repoRoot,
      outDir: join(RUNTIME_STATE_DIR(repoRoot), "cdk.out"),
      context: { ...endpoints, ...options.context },
      // Synthesizing takes a while: say so (or that the last assembly is reused).
      log: options.progress ?? options.log ?? ((m) => console.log(`[runtime] ${m}`)),
    }));
  return new LocalRuntime({
    assemblyDir,
    repoRoot,
    stateDir: RUNTIME_STATE_DIR(repoRoot),
    log: options.log,
  });
}
