/**
 * Which integration files run in which lane of `npm test` (test/tools/run-tests.ts). Two vitest
 * processes run at once, each one file at a time:
 *
 * - `own`: the files that start a separate set of services on the one port base every such set
 *   uses (23000 + TEST_PORT_SHIFT: `useSeparateServices`, the fault harness's `startFaultStack`,
 *   `bench --quick` on SEPARATE_SET_PORT_BASE). They must take turns on those ports.
 * - `shared`: every other integration file (on the tests' own set, 17000 + TEST_PORT_SHIFT, or
 *   on ports of their own) and the unit project.
 *
 * Derived, not listed: a file is in the own lane when its relative imports, followed through the
 * test helpers, reach test/integration/separate-services.ts — the module that owns that port
 * base. `useSeparateServices` refuses to run in the shared lane, so a file that reached the
 * ports some other way would fail loudly rather than race the own lane.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

export type Lane = "own" | "shared";

/** The environment variable run-tests.ts sets for each lane's vitest process. */
export const LANE_ENV = "STREAMLINE_TEST_LANE";

const REPO_ROOT = join(import.meta.dirname, "../..");
const INTEGRATION_DIR = "test/integration";
/** The module that owns the separate sets' port base: reaching it puts a file in the own lane. */
export const OWN_LANE_MARKER = "test/integration/separate-services.ts";

const IMPORT =
  /(?:import|export)\s[^;]*?from\s*["'](\.{1,2}\/[^"']+)["']|import\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g;

/** The relative imports of a file, as repository paths (only those under test/, where the helpers are). */
function testImports(repoRoot: string, file: string): string[] {
  const text = readFileSync(join(repoRoot, file), "utf8");
  const found: string[] = [];
  for (const match of text.matchAll(IMPORT)) {
    const spec = match[1] ?? match[2];
    if (!spec) continue;
    const path = relative(repoRoot, resolve(repoRoot, dirname(file), spec));
    if (path.startsWith("test/") && existsSync(join(repoRoot, path))) found.push(path);
  }
  return found;
}

/** True when `file`'s imports (followed through test/) reach the own lane's marker module. */
export function reachesSeparateSets(file: string, repoRoot = REPO_ROOT): boolean {
  const seen = new Set<string>();
  const queue = [file];
  while (queue.length > 0) {
    const next = queue.pop() as string;
    if (next === OWN_LANE_MARKER) return true;
    if (seen.has(next)) continue;
    seen.add(next);
    queue.push(...testImports(repoRoot, next));
  }
  return false;
}

/** Every integration test file, as repository paths, sorted. */
export function integrationFiles(repoRoot = REPO_ROOT): string[] {
  return readdirSync(join(repoRoot, INTEGRATION_DIR))
    .filter((name) => name.endsWith(".test.ts"))
    .sort()
    .map((name) => `${INTEGRATION_DIR}/${name}`);
}

/** The integration files of each lane. */
export function lanes(repoRoot = REPO_ROOT): Record<Lane, string[]> {
  const files = integrationFiles(repoRoot);
  const own = files.filter((file) => reachesSeparateSets(file, repoRoot));
  return { own, shared: files.filter((file) => !own.includes(file)) };
}

/** The lane this process runs in, from STREAMLINE_TEST_LANE (undefined: a plain `vitest run`, every file). */
export function currentLane(env: NodeJS.ProcessEnv = process.env): Lane | undefined {
  const value = env[LANE_ENV];
  if (value === undefined || value === "") return undefined;
  if (value !== "own" && value !== "shared")
    throw new Error(`${LANE_ENV} must be own or shared, not ${value}`);
  return value;
}
