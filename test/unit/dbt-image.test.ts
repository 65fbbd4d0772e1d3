/**
 * The dbt Fargate image (dbt/Dockerfile) without Docker: it installs the same requirements
 * file as the native venv, runs as a non-root user, and its entrypoint exits with dbt's code.
 * The entrypoint script runs for real under sh, with a stand-in `dbt` that exits as told.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { DBT_PROJECT_DIR, DBT_REQUIREMENTS } from "../../core/dbt/run.ts";

const dockerfile = readFileSync(join(DBT_PROJECT_DIR, "Dockerfile"), "utf8");
const instructions = dockerfile
  .replace(/\\\n/g, " ")
  .split("\n")
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith("#"));

describe("dbt/Dockerfile", () => {
  test("installs its Python packages only from dbt/requirements.txt, the file the native venv is built from", () => {
    // Prepare
    const copy = instructions.find((line) => /^COPY\s+requirements\.txt\s/.test(line));
    const pipInstalls = instructions.filter((line) => /pip install/.test(line));

    // Assess: the build context is dbt/, so `requirements.txt` there is dbt/requirements.txt.
    expect(copy).toBe("COPY requirements.txt /tmp/requirements.txt");
    expect(pipInstalls).toHaveLength(1);
    expect(pipInstalls[0]).toMatch(/pip install --no-cache-dir -r \/tmp\/requirements\.txt(\s|$)/);
    expect(pipInstalls[0]?.replace(/.*-r \/tmp\/requirements\.txt/, "")).not.toMatch(/pip install/);
    // The native venv installs DBT_REQUIREMENTS (localstack/services/dbt imports it): that same file.
    expect(DBT_REQUIREMENTS).toBe(join(DBT_PROJECT_DIR, "requirements.txt"));
    expect(readFileSync(DBT_REQUIREMENTS, "utf8")).toMatch(/^dbt-snowflake==/m);
  });

  test("runs as a non-root user", () => {
    const users = instructions.filter((line) => line.startsWith("USER "));
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^USER\s+(root|0)(:|\s|$)/);
  });

  test("enters through the entrypoint script that is in the project", () => {
    expect(instructions).toContain('ENTRYPOINT ["/app/docker/entrypoint.sh"]');
    expect(readFileSync(join(DBT_PROJECT_DIR, "docker/entrypoint.sh"), "utf8")).toMatch(/^#!\/bin\/sh/);
  });
});

describe("dbt/docker/entrypoint.sh", () => {
  const work = mkdtempSync(join(tmpdir(), "dbt-entrypoint-"));
  const bin = join(work, "bin");
  mkdirSync(bin);
  // A stand-in dbt: records its arguments, writes the artifacts, exits with FAKE_DBT_EXIT.
  writeFileSync(
    join(bin, "dbt"),
    '#!/bin/sh\necho "$@" > "$WORK/args"\nmkdir -p target && echo {} > target/run_results.json\nexit "$FAKE_DBT_EXIT"\n',
  );
  chmodSync(join(bin, "dbt"), 0o755);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  function entrypoint(env: Record<string, string>, args = ["build", "--target", "prod"]) {
    const { ARTIFACTS_BUCKET: _bucket, EXECUTION_ID: _id, ...base } = process.env;
    return spawnSync("sh", [join(DBT_PROJECT_DIR, "docker/entrypoint.sh"), ...args], {
      cwd: work,
      env: { ...base, PATH: `${bin}:${process.env.PATH}`, WORK: work, ...env },
      encoding: "utf8",
    });
  }

  test.each([0, 1, 2, 7])("exits with dbt's exit code %i and passes the arguments on", (code) => {
    // Act
    const result = entrypoint({ FAKE_DBT_EXIT: String(code) });

    // Assess
    expect(result.status).toBe(code);
    expect(readFileSync(join(work, "args"), "utf8").trim()).toBe("build --target prod");
  });

  test("fails a successful dbt run whose artifacts could not be uploaded (exit 3)", () => {
    // Act: `false` stands in for a Python whose upload fails.
    const result = entrypoint({
      FAKE_DBT_EXIT: "0",
      ARTIFACTS_BUCKET: "b",
      EXECUTION_ID: "e",
      PYTHON: "false",
    });

    // Assess
    expect(result.status).toBe(3);
    expect(result.stderr).toMatch(/uploading the dbt artifacts failed/);
  });

  test("keeps dbt's failure code when the upload fails too", () => {
    const result = entrypoint({
      FAKE_DBT_EXIT: "1",
      ARTIFACTS_BUCKET: "b",
      EXECUTION_ID: "e",
      PYTHON: "false",
    });
    expect(result.status).toBe(1);
  });

  test("refuses to pass without an execution id to file the artifacts under", () => {
    const result = entrypoint({ FAKE_DBT_EXIT: "0", ARTIFACTS_BUCKET: "b" });
    expect(result.status).toBe(3);
    expect(result.stderr).toMatch(/EXECUTION_ID is not/);
  });
});
