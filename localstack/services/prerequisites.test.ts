import { execFile } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { MissingPrerequisiteError } from "./errors.ts";
import { assertPrerequisites, findExecutable, JAVA, MAVEN, postgresBinDir } from "./prerequisites.ts";

const run = promisify(execFile);
const scratch = mkdtempSync(join(tmpdir(), "prerequisites-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("prerequisites of the native services", () => {
  it("names each missing tool and how to install it, in one message", () => {
    // Prepare
    const missing = { name: "frobnicator", find: () => undefined, howToInstall: "apt-get install frob" };
    const present = { name: "ls", find: () => "/bin/ls", howToInstall: "-" };

    // Act
    const check = () => assertPrerequisites([present, missing, missing]);

    // Assess
    expect(check).toThrow(MissingPrerequisiteError);
    expect(check).toThrow("frobnicator is not installed; install it with `apt-get install frob`.");
  });

  it("finds executables on PATH only when they are executable", () => {
    // Prepare
    const bin = join(scratch, "bin");
    mkdirSync(bin);
    writeFileSync(join(bin, "tool"), "#!/bin/sh\n");
    chmodSync(join(bin, "tool"), 0o755);
    writeFileSync(join(bin, "plain"), "");

    // Act + Assess
    expect(findExecutable("tool", `/nonexistent:${bin}`)).toBe(join(bin, "tool"));
    expect(findExecutable("plain", bin)).toBeUndefined();
  });

  it("picks the newest PostgreSQL major version that has a server", () => {
    // Prepare
    const root = join(scratch, "postgresql");
    for (const [major, files] of [
      ["9", ["postgres", "initdb"]],
      ["15", ["postgres", "initdb"]],
      ["16", ["psql"]], // client only: no server here
    ] as const) {
      mkdirSync(join(root, major, "bin"), { recursive: true });
      for (const file of files) writeFileSync(join(root, major, "bin", file), "");
    }

    // Act + Assess
    expect(postgresBinDir({}, root)).toBe(join(root, "15", "bin"));
    expect(postgresBinDir({}, join(scratch, "nowhere"))).toBeUndefined();
    expect(postgresBinDir({ PG_BIN_DIR: join(root, "16", "bin") }, root)).toBeUndefined();
  });

  it("makes `pipeline services up` print one sentence per missing tool, without a stack trace", async () => {
    // Prepare: no java, mvn or python3 on PATH, no PostgreSQL server.
    const emptyBin = join(scratch, "empty-bin");
    mkdirSync(emptyBin);
    const env = {
      PATH: emptyBin,
      PG_BIN_DIR: join(scratch, "no-postgres"),
      PIPELINE_SERVICES_DIR: join(scratch, "state"),
    };

    // Act
    const failure = await run(
      process.execPath,
      [join(import.meta.dirname, "../../bin/pipeline.mjs"), "services", "up"],
      {
        env,
      },
    ).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );

    // Assess
    expect(failure?.code).toBe(1);
    const lines = failure?.stderr.trim().split("\n") ?? [];
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^pipeline: /);
    for (const tool of [JAVA, MAVEN]) expect(lines[0]).toContain(`\`${tool.howToInstall}\``);
    expect(lines[0]).toContain("python3");
    expect(lines[0]).toContain("PostgreSQL server binaries");
    expect(failure?.stderr).not.toMatch(/\n\s+at /);
  });
});
