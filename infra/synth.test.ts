/**
 * `npx cdk synth` as a deploy (or the local runtime) runs it: the real CLI, the real app from
 * cdk.json, offline — esbuild bundles of every function for AWS, none for the local target
 * (its runtime runs the handlers from source). One synth per target; slow by nature (the AWS
 * one bundles every function), so it lives in its own file.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "./constructs/pipeline-function.ts";
import { functions, handlerModule } from "./functions.ts";

const run = promisify(execFile);
const outDirs: string[] = [];

async function cdkSynth(
  target: "aws" | "local",
): Promise<{ dir: string; template: Record<string, unknown> }> {
  const dir = mkdtempSync(path.join(tmpdir(), `cdk-synth-${target}-`));
  outDirs.push(dir);
  const bin = path.join(REPO_ROOT, "node_modules", ".bin");
  await run(path.join(bin, "cdk"), ["synth", "--quiet", "-o", dir, "-c", `target=${target}`], {
    cwd: REPO_ROOT,
    // npx puts node_modules/.bin first: the app runs on the project's Node 24.
    env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ""}`, CDK_DISABLE_VERSION_CHECK: "1" },
    maxBuffer: 64 * 1024 * 1024,
  });
  const stack = target === "local" ? "PipelineLocal-local" : "Pipeline-dev";
  return { dir, template: JSON.parse(readFileSync(path.join(dir, `${stack}.template.json`), "utf8")) };
}

// Each assembly holds every bundle and installed node_modules: removing them takes a while on a busy machine.
afterAll(() => {
  for (const dir of outDirs) rmSync(dir, { recursive: true, force: true });
}, 120_000);

/** The pipeline's functions in a synthesized template, with the name each carries (PIPELINE_FUNCTION). */
function pipelineFunctions(template: Record<string, unknown>) {
  const resources = Object.values(
    template.Resources as Record<
      string,
      { Type: string; Properties: Record<string, unknown>; Metadata?: Record<string, string> }
    >,
  );
  return resources.flatMap((r) => {
    const name = (r.Properties.Environment as { Variables?: { PIPELINE_FUNCTION?: string } })?.Variables
      ?.PIPELINE_FUNCTION;
    return r.Type === "AWS::Lambda::Function" && name
      ? [{ name, assetPath: r.Metadata?.["aws:asset:path"] }]
      : [];
  });
}

describe("npx cdk synth", () => {
  it("synthesizes the aws target with an esbuild bundle and source map per function", {
    timeout: 600_000,
  }, async () => {
    const { dir, template } = await cdkSynth("aws");

    const synthesized = pipelineFunctions(template);
    expect(synthesized).toHaveLength(functions.length);
    for (const { name, assetPath } of synthesized) {
      const assetDir = path.join(dir, String(assetPath));
      const modules = functions.find((f) => f.name === name)?.nodeModules ?? [];
      // The bundle and its map, plus the packages kept out of the bundle, installed where the
      // bundle's own imports find them; nothing else.
      expect(readdirSync(assetDir).sort(), name).toEqual(
        modules.length > 0
          ? ["index.mjs", "index.mjs.map", "node_modules", "package-lock.json", "package.json"]
          : ["index.mjs", "index.mjs.map"],
      );
      const fromBundle = createRequire(path.join(assetDir, "index.mjs"));
      for (const module of modules) {
        expect(fromBundle.resolve(module).startsWith(path.join(assetDir, "node_modules")), module).toBe(true);
      }
    }
  });

  it("synthesizes the local target without bundling: the local runtime imports each handler from its source", {
    timeout: 600_000,
  }, async () => {
    const { dir, template } = await cdkSynth("local");

    const synthesized = pipelineFunctions(template);
    expect(synthesized.map((f) => f.name).sort()).toEqual(functions.map((f) => f.name).sort());
    // CDK's skipped bundling: the asset names the project itself, nothing is built into the assembly.
    for (const { name, assetPath } of synthesized) expect(assetPath, name).toBe(REPO_ROOT);
    const bundles = readdirSync(dir).filter(
      (entry) => entry.startsWith("asset.") && readdirSync(path.join(dir, entry)).includes("index.mjs"),
    );
    expect(bundles).toEqual([]);
    for (const { name } of synthesized)
      expect(existsSync(path.join(REPO_ROOT, handlerModule(name))), name).toBe(true);
  });
});
