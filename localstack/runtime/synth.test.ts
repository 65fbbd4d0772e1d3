import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { inputsFingerprint, synthLocal } from "./synth.ts";

describe("the local assembly's fingerprint (reused while it holds: regression, every `pipeline run` synthesized again)", () => {
  const roots: string[] = [];
  afterEach(() => {
    for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
  });

  function repo(): string {
    const root = mkdtempSync(join(tmpdir(), "synth-inputs-"));
    roots.push(root);
    mkdirSync(join(root, "infra"), { recursive: true });
    mkdirSync(join(root, "dbt", "target"), { recursive: true });
    writeFileSync(join(root, "infra", "app.ts"), "app");
    writeFileSync(join(root, "cdk.json"), "{}");
    return root;
  }

  it("changes with a source file or the context, not with build output or tests", () => {
    // Prepare
    const root = repo();
    const context = { target: "local", localKafkaBrokers: "127.0.0.1:9092" };
    const first = inputsFingerprint(root, context);

    // Act
    writeFileSync(join(root, "dbt", "target", "run_results.json"), "{}");
    writeFileSync(join(root, "infra", "app.test.ts"), "test");
    const afterOutput = inputsFingerprint(root, context);
    const otherContext = inputsFingerprint(root, { ...context, localKafkaBrokers: "127.0.0.1:12092" });
    writeFileSync(join(root, "infra", "app.ts"), "app changed");
    const afterSource = inputsFingerprint(root, context);

    // Assess
    expect(afterOutput).toBe(first);
    expect(otherContext).not.toBe(first);
    expect(afterSource).not.toBe(first);
  });
});

describe("assemblies shared between runtime dirs (regression: every test file on its own services ran `cdk synth` again)", () => {
  const roots: string[] = [];
  afterEach(() => {
    for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
  });

  /** A repository whose `cdk` writes a manifest into `-o <dir>` and counts its runs. */
  function repoWithFakeCdk(): string {
    const root = mkdtempSync(join(tmpdir(), "synth-cache-"));
    roots.push(root);
    mkdirSync(join(root, "infra"), { recursive: true });
    writeFileSync(join(root, "infra", "app.ts"), "app");
    mkdirSync(join(root, "node_modules", ".bin"), { recursive: true });
    const cdk = join(root, "node_modules", ".bin", "cdk");
    writeFileSync(
      cdk,
      `#!/bin/sh\nwhile [ "$1" != "-o" ]; do shift; done\nmkdir -p "$2" && echo '{}' > "$2/manifest.json" && echo run >> "${root}/cdk-runs"\n`,
    );
    chmodSync(cdk, 0o755);
    return root;
  }
  const cdkRuns = (root: string) =>
    existsSync(join(root, "cdk-runs"))
      ? readFileSync(join(root, "cdk-runs"), "utf8").split("\n").length - 1
      : 0;

  it("copies the assembly of the same sources and endpoints into a new output dir; other endpoints synthesize", async () => {
    // Prepare
    const root = repoWithFakeCdk();
    const context = { localKafkaBrokers: "127.0.0.1:23092" };
    await synthLocal({ repoRoot: root, outDir: join(root, "runtime-a", "cdk.out"), context });

    // Act
    const reused = await synthLocal({ repoRoot: root, outDir: join(root, "runtime-b", "cdk.out"), context });
    const runsAfterReuse = cdkRuns(root);
    await synthLocal({
      repoRoot: root,
      outDir: join(root, "runtime-c", "cdk.out"),
      context: { localKafkaBrokers: "127.0.0.1:24092" },
    });

    // Assess
    expect(runsAfterReuse).toBe(1);
    expect(existsSync(join(reused, "manifest.json"))).toBe(true);
    expect(cdkRuns(root)).toBe(2);
  });

  it("keeps the assemblies used last when it drops one (another checkout's tests add theirs meanwhile), and leaves no partial copy", async () => {
    // Prepare: the assembly of 23092 synthesized, then eight of other endpoints, 23092's reused in between.
    const root = repoWithFakeCdk();
    const cacheDir = join(root, "cache");
    const synth = (port: number, dir: string) =>
      synthLocal({
        repoRoot: root,
        outDir: join(root, dir, "cdk.out"),
        context: { localKafkaBrokers: `127.0.0.1:${port}` },
        cacheDir,
      });
    await synth(23092, "first");
    for (let i = 1; i <= 8; i++) {
      await synth(23092 + i * 1000, `other-${i}`);
      if (i === 4) await synth(23092, "reused"); // a read: the entry becomes the most recently used
    }
    const runs = cdkRuns(root);

    // Act: a new runtime dir on 23092 again
    await synth(23092, "again");

    // Assess: copied from the cache, not synthesized; eight entries, none half-written
    expect(runs).toBe(9);
    expect(cdkRuns(root)).toBe(9);
    const entries = readdirSync(cacheDir);
    expect(entries).toHaveLength(8);
    expect(entries.filter((name) => name.includes("."))).toEqual([]);
  });
});
