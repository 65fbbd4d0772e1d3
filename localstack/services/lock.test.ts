import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { withLock } from "./lock.ts";

const lockModule = new URL("./lock.ts", import.meta.url).pathname;

describe("withLock", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  function tempDir(): string {
    const dir = mkdtempSync(join(tmpdir(), "lock-test-"));
    dirs.push(dir);
    return dir;
  }

  it("lets one of several racing processes in at a time", async () => {
    // Arrange: processes that each record entering and leaving the locked section.
    const dir = tempDir();
    const journal = join(dir, "journal");
    writeFileSync(journal, "");
    const script = `
      import { appendFileSync } from "node:fs";
      import { withLock } from ${JSON.stringify(lockModule)};
      await withLock(${JSON.stringify(join(dir, ".lock"))}, "the test", async () => {
        appendFileSync(${JSON.stringify(journal)}, "in\\n");
        await new Promise((r) => setTimeout(r, 50));
        appendFileSync(${JSON.stringify(journal)}, "out\\n");
      }, 60_000);
    `;

    // Act
    const racers = Array.from({ length: 6 }, () => runModule(script));
    const codes = await Promise.all(racers);

    // Assess: every one ran, never two at once.
    expect(codes).toEqual([0, 0, 0, 0, 0, 0]);
    const lines = readFileSync(journal, "utf8").trim().split("\n");
    expect(lines).toEqual(Array.from({ length: 6 }, () => ["in", "out"]).flat());
  });

  it("takes over a lock whose holder died, and one left empty", async () => {
    const dir = tempDir();
    for (const content of ["999999999\n", ""]) {
      const lockFile = join(dir, ".lock");
      writeFileSync(lockFile, content);
      await expect(withLock(lockFile, "the test", async () => "ran", 5_000)).resolves.toBe("ran");
    }
  });

  it("waits for a living holder and says who it waited for", async () => {
    const lockFile = join(tempDir(), ".lock");
    writeFileSync(lockFile, `${process.pid}\n`);
    await expect(withLock(lockFile, "the test", async () => "ran", 600)).rejects.toThrow(
      /timed out waiting for the test/,
    );
  });
});

function runModule(source: string): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", source], { stdio: "inherit" });
    child.on("exit", (code) => resolve(code ?? 1));
  });
}
