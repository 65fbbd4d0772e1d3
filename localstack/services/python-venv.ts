/**
 * Python virtual environments built from a pinned requirements file, cached: a venv is rebuilt
 * only when its requirements file (or the Python it was built with) changed. uv builds them
 * (uv-requirements.txt; pip installs uv itself): a minute of pip per venv became seconds.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import { promisify } from "node:util";
import { InstallError, MissingPrerequisiteError } from "./errors.ts";
import { PYTHON, requirePrerequisite } from "./prerequisites.ts";
import { reportProgress, secondsSince } from "./progress.ts";

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
  if (!existsSync(join(dir, "bin", "python"))) return false;
  return readStamp(dir) === (await requirementsHash(requirementsFile));
}

/**
 * Makes sure a venv at `dir` holds `requirementsFile`; the installer's output goes to `logFile`.
 * Returns whether it had to (re)build it.
 */
export async function ensureVenv(dir: string, requirementsFile: string, logFile: string): Promise<boolean> {
  if (await venvIsCurrent(dir, requirementsFile)) return false;
  const python = requirePrerequisite(PYTHON);
  const hash = await requirementsHash(requirementsFile);
  const label = basename(dir).replace(/-venv$/, "");
  const started = Date.now();
  reportProgress(`${label}: building its Python venv (first run or new requirements; log: ${logFile})…`);
  const uv = await uvBinary(dirname(dir));
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dirname(logFile), { recursive: true });
  try {
    writeFileSync(logFile, "");
    await runLogged(uv, ["venv", "--quiet", "--python", python, "--seed", dir], logFile);
    const output = await runLogged(
      uv,
      [
        "pip",
        "install",
        "--python",
        join(dir, "bin", "python"),
        // Byte-compiled at install: where PYTHONDONTWRITEBYTECODE is set, as here and on CI,
        // Python would otherwise compile dbt and moto again at every start.
        "--compile-bytecode",
        "-r",
        requirementsFile,
      ],
      logFile,
    );
    const installed = /Installed (\d+) packages?/.exec(output);
    reportProgress(`${label}: venv ready (${installed?.[1] ?? 0} packages) in ${secondsSince(started)}`);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw new InstallError(`could not install ${requirementsFile} into ${dir}; see ${logFile}`, {
      cause: error,
    });
  }
  writeFileSync(join(dir, STAMP), `${hash}\n`);
  return true;
}

/** Runs the command, its output (both streams, or the error's) appended to `logFile`; resolves with it. */
async function runLogged(command: string, args: string[], logFile: string): Promise<string> {
  try {
    const { stdout, stderr } = await run(command, args, { maxBuffer: 64 * 1024 * 1024 });
    appendFileSync(logFile, `${stdout}${stderr}`);
    return `${stdout}${stderr}`;
  } catch (error) {
    const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
    appendFileSync(logFile, `${stdout}${stderr}${(error as Error).message}\n`);
    throw error;
  }
}

const UV_REQUIREMENTS = join(import.meta.dirname, "uv-requirements.txt");

/** One bootstrap of uv per cache dir at a time, when several services build their venvs at once. */
const uvBootstraps = new Map<string, Promise<string>>();

/**
 * The uv binary in `<cacheDir>/uv-venv`, installed there by pip from uv-requirements.txt when
 * missing or out of date. Built in a temporary dir and renamed into place: the binary is static,
 * so it runs from anywhere, and another process never sees a half-built one.
 */
function uvBinary(cacheDir: string): Promise<string> {
  const dir = join(cacheDir, "uv-venv");
  const binary = join(dir, "bin", "uv");
  let bootstrap = uvBootstraps.get(dir);
  if (!bootstrap) {
    bootstrap = (async () => {
      const hash = await requirementsHash(UV_REQUIREMENTS);
      if (existsSync(binary) && readStamp(dir) === hash) return binary;
      const python = requirePrerequisite(PYTHON);
      const building = `${dir}.building-${process.pid}`;
      rmSync(building, { recursive: true, force: true });
      mkdirSync(cacheDir, { recursive: true });
      try {
        await run(python, ["-m", "venv", building]);
      } catch (error) {
        throw new MissingPrerequisiteError(
          "python3 cannot create virtual environments (the venv module is missing); install it with `apt-get install python3-venv`.",
          { cause: error },
        );
      }
      try {
        await run(join(building, "bin", "pip"), [
          "install",
          "--disable-pip-version-check",
          "--no-input",
          "--quiet",
          "-r",
          UV_REQUIREMENTS,
        ]);
      } catch (error) {
        rmSync(building, { recursive: true, force: true });
        throw new InstallError(`pip could not install uv (${UV_REQUIREMENTS})`, { cause: error });
      }
      writeFileSync(join(building, STAMP), `${hash}\n`);
      rmSync(dir, { recursive: true, force: true });
      renameSync(building, dir);
      return binary;
    })();
    uvBootstraps.set(dir, bootstrap);
    bootstrap.catch(() => uvBootstraps.delete(dir));
  }
  return bootstrap;
}

function readStamp(dir: string): string | undefined {
  const stamp = join(dir, STAMP);
  return existsSync(stamp) ? readFileSync(stamp, "utf8").trim() : undefined;
}

async function requirementsHash(requirementsFile: string): Promise<string> {
  const python = requirePrerequisite(PYTHON);
  const { stdout: version } = await run(python, ["--version"]);
  return createHash("sha256").update(readFileSync(requirementsFile)).update(version).digest("hex");
}
