/** `npx pipeline dbt …`: arguments reach dbt unchanged and the CLI exits with dbt's code. */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { DBT_PROJECT_DIR } from "../../core/dbt/run.ts";

const cli = join(DBT_PROJECT_DIR, "..", "bin", "pipeline.mjs");
// A stand-in venv (the real dbt runs in test/integration/dbt-*.test.ts).
const venv = mkdtempSync(join(tmpdir(), "fake-dbt-cli-"));
mkdirSync(join(venv, "bin"));
writeFileSync(join(venv, "bin", "dbt"), '#!/bin/sh\nprintf "%s\\n" "$@" > "$OUT"\nexit "$FAKE_EXIT"\n');
chmodSync(join(venv, "bin", "dbt"), 0o755);
afterAll(() => rmSync(venv, { recursive: true, force: true }));

function pipeline(args: string[], env: Record<string, string>) {
  return spawnSync(process.execPath, [cli, ...args], { env: { ...process.env, ...env }, encoding: "utf8" });
}

describe("pipeline dbt", () => {
  test("passes options through to dbt and exits with dbt's exit code", () => {
    // Act
    const out = join(venv, "args");
    const result = pipeline(["dbt", "build", "--target", "local", "--select", "marts.sales"], {
      DBT_VENV: venv,
      OUT: out,
      FAKE_EXIT: "1",
    });

    // Assess
    expect(result.status).toBe(1);
    expect(readFileSync(out, "utf8").trim().split("\n")).toEqual([
      "build",
      "--target",
      "local",
      "--select",
      "marts.sales",
    ]);
  });

  test("explains in one sentence when dbt is not installed", () => {
    const result = pipeline(["dbt", "debug"], { DBT_VENV: join(venv, "missing") });
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toMatch(/^pipeline: dbt is not installed at .*services up/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  test("has help text", () => {
    const result = pipeline(["dbt", "--help"], {});
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/Run dbt on the project in dbt\//);
  });
});
