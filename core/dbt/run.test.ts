import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { DbtNotInstalledError } from "./errors.ts";
import { DBT_PROJECT_DIR, dbtEnvironment, dbtExecutable, runDbt } from "./run.ts";

describe("dbtEnvironment", () => {
  test("turns DATABASE_URL into the PG* variables profiles.yml reads, over stale PG* values", () => {
    const env = dbtEnvironment({ DATABASE_URL: "postgres://u%40x:p%2Fw@db.example:6543/wh", PGHOST: "old" });
    expect(env).toMatchObject({
      PGHOST: "db.example",
      PGPORT: "6543",
      PGUSER: "u@x",
      PGPASSWORD: "p/w",
      PGDATABASE: "wh",
    });
  });

  test("defaults to the local warehouse and points dbt at the project and its profiles.yml", () => {
    const env = dbtEnvironment({});
    expect(env).toMatchObject({
      PGHOST: "127.0.0.1",
      PGPORT: "5432",
      PGUSER: "pipeline",
      PGDATABASE: "warehouse",
      DBT_PROJECT_DIR,
      DBT_PROFILES_DIR: DBT_PROJECT_DIR,
      DBT_SEND_ANONYMOUS_USAGE_STATS: "false",
    });
  });
});

describe("dbtExecutable", () => {
  test("says how to install dbt when the venv is missing", () => {
    expect(() => dbtExecutable({ DBT_VENV: "/nonexistent/venv" })).toThrow(DbtNotInstalledError);
    expect(() => dbtExecutable({ DBT_VENV: "/nonexistent/venv" })).toThrow(/npx pipeline services up/);
  });
});

describe("runDbt", () => {
  // A venv whose `dbt` records its arguments and environment, then exits with FAKE_EXIT:
  // this tests the plumbing; the real dbt runs in test/integration/dbt-*.test.ts.
  const venv = mkdtempSync(join(tmpdir(), "fake-dbt-venv-"));
  mkdirSync(join(venv, "bin"));
  writeFileSync(
    join(venv, "bin", "dbt"),
    '#!/bin/sh\nprintf "%s\\n" "$@" > "$OUT"\necho "$PWD|$DBT_PROFILES_DIR|$PGPORT" >> "$OUT"\necho out; echo err >&2\nexit "$FAKE_EXIT"\n',
  );
  chmodSync(join(venv, "bin", "dbt"), 0o755);
  afterAll(() => rmSync(venv, { recursive: true, force: true }));

  test("passes the arguments unchanged, runs in the project, and resolves with dbt's exit code", async () => {
    // Prepare
    const out = join(venv, "out");

    // Act
    const result = await runDbt(["build", "--select", "a b", "--target", "local"], {
      env: { DBT_VENV: venv, OUT: out, FAKE_EXIT: "7", PGPORT: "6000", PATH: process.env.PATH },
    });

    // Assess
    expect(result.exitCode).toBe(7);
    expect(result.output).toContain("out");
    expect(result.output).toContain("err");
    expect(readFileSync(out, "utf8").split("\n")).toEqual([
      "build",
      "--select",
      "a b",
      "--target",
      "local",
      `${DBT_PROJECT_DIR}|${DBT_PROJECT_DIR}|6000`,
      "",
    ]);
  });
});
