/**
 * Builds the dashboard page into dashboard/dist: the TypeScript bundled by esbuild (ECharts,
 * the us-atlas map and topojson-client included), next to index.html and styles.css.
 * `npm run build:dashboard` runs it; the local dashboard server and the CDK Dashboard
 * construct call `buildDashboard()` themselves, so a fresh clone needs no separate step.
 */
import { copyFileSync, mkdirSync, renameSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

// esbuild's sync API otherwise keeps a worker thread with a long-lived esbuild child: the
// local runtime (which builds the page once) would carry it for its whole life, and it can't
// be stopped cleanly (stopping the worker leaves the child a zombie). Without workers each
// build is one child process, waited for. Set before esbuild loads, which reads it once.
process.env.ESBUILD_WORKER_THREADS = "0";
const { buildSync } = createRequire(import.meta.url)("esbuild") as typeof import("esbuild");

const here = fileURLToPath(new URL(".", import.meta.url));
export const DASHBOARD_DIST = join(here, "dist");

let built: string | undefined;

/** Builds once per process (synchronously: CDK constructs build at synth) and returns the dist folder. */
export function buildDashboard(options: { force?: boolean } = {}): string {
  if (built && !options.force) return built;
  mkdirSync(DASHBOARD_DIST, { recursive: true });
  // Several processes build at once (the two lanes of `npm test`, each synth, a local runtime):
  // each file is written beside its place and renamed into it, so a reader — a synth copying
  // dist into its asset, the dashboard's server — never gets half of one.
  const tmp = (file: string) => join(DASHBOARD_DIST, `.${file}.${process.pid}.tmp`);
  buildSync({
    entryPoints: [join(here, "web", "main.ts")],
    outfile: tmp("app.js"),
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    logLevel: "warning",
  });
  renameSync(tmp("app.js"), join(DASHBOARD_DIST, "app.js"));
  for (const file of ["index.html", "styles.css"]) {
    copyFileSync(join(here, "web", file), tmp(file));
    renameSync(tmp(file), join(DASHBOARD_DIST, file));
  }
  built = DASHBOARD_DIST;
  return built;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(`dashboard built into ${buildDashboard()}`);
}
