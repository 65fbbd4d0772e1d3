import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { withProgress } from "./progress.ts";
import { ensureVenv, venvIsCurrent } from "./python-venv.ts";

describe("cached Python venvs", () => {
  const scratch = mkdtempSync(join(tmpdir(), "python-venv-"));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it("builds a venv once, and again only when its requirements file changes", async () => {
    // Prepare: requirements without packages, so no network is needed.
    const requirements = join(scratch, "requirements.txt");
    const venv = join(scratch, "venv");
    const log = join(scratch, "pip.log");
    writeFileSync(requirements, "# nothing yet\n");

    // Act
    const lines: string[] = [];
    const first = await withProgress(
      (line) => lines.push(line),
      () => ensureVenv(venv, requirements, log),
    );
    const second = await ensureVenv(venv, requirements, log);
    writeFileSync(requirements, "# nothing yet, but a different file\n");
    const staleAfterEdit = !(await venvIsCurrent(venv, requirements));
    const third = await ensureVenv(venv, requirements, log);

    // Assess
    expect([first, second, staleAfterEdit, third]).toEqual([true, false, true, true]);
    expect(existsSync(join(venv, "bin", "python"))).toBe(true);
    expect(await venvIsCurrent(venv, requirements)).toBe(true);
    // A build says it started and when it ended (regression: minutes of silence on a first run).
    expect(lines[0]).toMatch(/^venv: building its Python venv/);
    expect(lines.at(-1)).toMatch(/^venv: venv ready \(0 packages\) in \d+\.\d s$/);
  }, 120_000);
});
