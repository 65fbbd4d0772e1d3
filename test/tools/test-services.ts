/**
 * `node test/tools/test-services.ts up|down|status`: `pipeline services …` on the integration
 * tests' own set (test/fixtures/test-services.ts), for `.ci/run` — it starts the set before
 * `npm test`, so installing and starting are their own step, and stops it however the tests end.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { testServicesEnv } from "../fixtures/test-services.ts";

const command = process.argv[2];
if (command !== "up" && command !== "down" && command !== "status") {
  console.error("usage: node test/tools/test-services.ts up|down|status");
  process.exit(2);
}
const cli = join(import.meta.dirname, "../../bin/pipeline.mjs");
const { status } = spawnSync(process.execPath, [cli, "services", command], {
  stdio: "inherit",
  env: { ...process.env, ...testServicesEnv() },
});
process.exit(status ?? 1);
