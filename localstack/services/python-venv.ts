/**
 * Python virtual environments built from a pinned requirements file, cached: a venv is rebuilt
 * only when its requirements file (or the Python it was built with) changed.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { InstallError, MissingPrerequisiteError } from "./errors.ts";
import { PYTHON, requirePrerequisite } from "./prerequisites.ts";

const run = promisify(execFile);
const STAMP = ".requirements.sha256";

export interface Venv {
  readonly dir: string;
  /** Path of an executable inside the venv (`python`, `dbt`, `moto_server`…). */
  readonly bin: (name: string) => string;
}

export function venvAt(dir: string): Venv {
  return { dir, bin: (name) => join(dir, "bin", name) };
}

/** True when the venv at `dir` was built from the current `requirementsFile`. */
export async function venvIsCurrent(dir: string, requirementsFile: string): Promise<boolean> {
  const stamp = join(dir, STAMP);
  if (!existsSync(stamp) || !existsSync(join(dir, "bin", "python"))) return false;
  return readFileSync(stamp, "utf8").trim() === (await requirementsHash(requirementsFile));
}

/**
 * Makes sure a venv at `dir` holds `requirementsFile`; pip's output goes to `logFile`.
 * Returns whether it had to (re)build it.
 */
export async function ensureVenv(dir: string, requirementsFile: string, logFile: string): Promise<boolean> {
  if (await venvIsCurrent(dir, requirementsFile)) return false;
  const python = requirePrerequisite(PYTHON);
  const hash = await requirementsHash(requirementsFile);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dirname(logFile), { recursive: true });
  try {
    await run(python, ["-m", "venv", dir]);
  } catch (error) {
    throw new MissingPrerequisiteError(
      "python3 cannot create virtual environments (the venv module is missing); install it with `apt-get install python3-venv`.",
      { cause: error },
    );
  }
  try {
    const { stdout, stderr } = await run(
      join(dir, "bin", "pip"),
      ["install", "--disable-pip-version-check", "--no-input", "-r", requirementsFile],
      { maxBuffer: 64 * 1024 * 1024 },
    );
    writeFileSync(logFile, stdout + stderr);
  } catch (error) {
    const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
    writeFileSync(logFile, stdout + stderr);
    rmSync(dir, { recursive: true, force: true });
    throw new InstallError(`pip could not install ${requirementsFile}; see ${logFile}`, { cause: error });
  }
  writeFileSync(join(dir, STAMP), `${hash}\n`);
  return true;
}

async function requirementsHash(requirementsFile: string): Promise<string> {
  const python = requirePrerequisite(PYTHON);
  const { stdout: version } = await run(python, ["--version"]);
  return createHash("sha256").update(readFileSync(requirementsFile)).update(version).digest("hex");
}
