#!/usr/bin/env node
// Entry point of `npx pipeline`. The project runs on the Node.js LTS it installs itself
// (the `node` devDependency); if we were started by an older system Node, re-exec on it.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const projectNode = join(root, "node_modules", "node", "bin", "node");
const major = Number(process.versions.node.split(".")[0]);

if (major < 24 && existsSync(projectNode)) {
  const result = spawnSync(projectNode, process.argv.slice(1), { stdio: "inherit" });
  process.exit(result.status ?? 1);
} else if (major < 24) {
  console.error(
    `pipeline needs Node.js 24 or newer (found ${process.version}); run \`npm install\` to install it.`,
  );
  process.exit(1);
} else {
  // V8's compiled code kept on disk (os.tmpdir()): every command starts ~0.3 s of CPU sooner.
  (await import("node:module")).enableCompileCache();
  await import("../cli/main.ts");
}
