/**
 * The node_modules a function ships beside its bundle (`FunctionSpec.nodeModules`: packages
 * that cannot be bundled, like snowflake-sdk), installed once per lock file instead of once
 * per function per synth. CDK's own `nodeModules` bundling option runs `npm ci` in every
 * function's asset on every synth — three 120 MB installs of snowflake-sdk, most of a warm
 * `cdk synth` of the AWS target (issue 17). This does what that option does (a package.json
 * with the packages' versions from the project's package.json, the project's lock file,
 * `npm ci`) once, into `.cache/lambda-node-modules/<hash>/`, and each asset gets a copy of
 * that directory (hard links where the file system allows), so the asset's content — and its
 * hash — is what CDK's install would have produced.
 */

import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import * as path from "node:path";

/** npm from its cache when it can (a synth after `npm install` works offline), no audit, no funding notes. */
const NPM_INSTALL_ENVIRONMENT = {
  npm_config_prefer_offline: "true",
  npm_config_audit: "false",
  npm_config_fund: "false",
} as const;

interface InstallPlan {
  readonly lockFile: string;
  /** package.json of the install: each module at the version range the project declares. */
  readonly packageJson: string;
  readonly dir: string;
}

function plan(repoRoot: string, modules: readonly string[]): InstallPlan {
  const project = JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")) as {
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
  const dependencies: Record<string, string> = {};
  for (const name of modules) {
    const version = project.dependencies?.[name] ?? project.devDependencies?.[name];
    if (!version) throw new Error(`${name} is a function's node module but not a dependency in package.json`);
    dependencies[name] = version;
  }
  const packageJson = JSON.stringify({ dependencies });
  const lockFile = path.join(repoRoot, "package-lock.json");
  // What the installed tree depends on: the lock, the packages, and the platform npm ran on
  // (native helpers are built or chosen for it, as CDK's local install does).
  const hash = createHash("sha256")
    .update(readFileSync(lockFile))
    .update(packageJson)
    .update(`${process.platform}-${process.arch}`)
    .digest("hex")
    .slice(0, 16);
  return { lockFile, packageJson, dir: path.join(repoRoot, ".cache", "lambda-node-modules", hash) };
}

/**
 * The directory holding package.json, package-lock.json and node_modules for `modules`,
 * installed by `npm ci` on first use. Safe for synths running at once: each installs into
 * its own temporary directory and the first rename wins.
 */
export function installedNodeModules(repoRoot: string, modules: readonly string[]): string {
  const { lockFile, packageJson, dir } = plan(repoRoot, modules);
  if (existsSync(path.join(dir, "node_modules"))) return dir;
  const staging = `${dir}.${process.pid}.tmp`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  writeFileSync(path.join(staging, "package.json"), packageJson);
  copyFileSync(lockFile, path.join(staging, "package-lock.json"));
  execFileSync("npm", ["ci"], {
    cwd: staging,
    env: { ...process.env, ...NPM_INSTALL_ENVIRONMENT },
    stdio: ["ignore", "ignore", "inherit"],
  });
  try {
    renameSync(staging, dir);
  } catch (error) {
    // Another synth installed the same tree first: use its copy.
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(path.join(dir, "node_modules"))) throw error;
  }
  return dir;
}

/**
 * Shell commands (CDK's local bundling runs them with bash) that put the installed modules
 * into an asset's output directory: hard links when the cache and the assembly share a file
 * system, a copy otherwise.
 */
export function copyNodeModulesCommands(installed: string, outputDir: string): string[] {
  const from = JSON.stringify(`${installed}/.`);
  const to = JSON.stringify(outputDir);
  return [`cp -al ${from} ${to} 2>/dev/null || cp -a ${from} ${to}`];
}
