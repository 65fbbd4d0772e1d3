/**
 * Python virtual environments built from a pinned requirements file, cached: a venv is rebuilt
 * only when its requirements file (or the Python it was built with) changed.
 */
import { execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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
  const label = basename(dir).replace(/-venv$/, "");
  const started = Date.now();
  reportProgress(`${label}: building its Python venv (first run or new requirements; pip log: ${logFile})…`);
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
    const packages = await pipInstall(join(dir, "bin", "pip"), requirementsFile, logFile, label);
    reportProgress(`${label}: venv ready (${packages} packages) in ${secondsSince(started)}`);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw new InstallError(`pip could not install ${requirementsFile}; see ${logFile}`, { cause: error });
  }
  writeFileSync(join(dir, STAMP), `${hash}\n`);
  return true;
}

/** How often a venv build says how far pip got. */
const PIP_REPORT_MS = 10_000;

/**
 * `pip install -r`, its output to `logFile`, reporting every {@link PIP_REPORT_MS} how many
 * packages pip has collected and what it is on; resolves with the packages collected.
 */
function pipInstall(pip: string, requirementsFile: string, logFile: string, label: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      pip,
      ["install", "--disable-pip-version-check", "--no-input", "-r", requirementsFile],
      {
        // Byte-compiled at install (no --no-compile): where PYTHONDONTWRITEBYTECODE is set, as
        // here and on CI, Python would otherwise compile dbt and moto again at every start.
        // Unbuffered: pip's lines arrive as it prints them, not in blocks at the end.
        env: { ...process.env, PYTHONUNBUFFERED: "1" },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    const output: Buffer[] = [];
    let collected = 0;
    let current = "";
    let lastReport = Date.now();
    let pending = "";
    const onData = (chunk: Buffer) => {
      output.push(chunk);
      const lines = (pending + chunk.toString("utf8")).split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) {
        const collecting = /^Collecting (\S+)/.exec(line);
        if (collecting) {
          collected++;
          current = `collecting ${collecting[1]}`;
        }
        const downloading = /^\s*Downloading (\S+)(?: \(([^)]+)\))?/.exec(line);
        if (downloading)
          current = `downloading ${basename(downloading[1] ?? "")}${downloading[2] ? ` (${downloading[2]})` : ""}`;
        if (/^Installing collected packages/.test(line)) {
          reportProgress(`${label}: pip is installing the ${collected} packages it collected…`);
          lastReport = Date.now();
          current = "";
        }
      }
      if (current && Date.now() - lastReport >= PIP_REPORT_MS) {
        reportProgress(`${label}: pip has collected ${collected} packages, ${current}…`);
        lastReport = Date.now();
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", (chunk: Buffer) => output.push(chunk));
    child.on("error", reject);
    child.on("close", (code) => {
      writeFileSync(logFile, Buffer.concat(output));
      if (code === 0) resolve(collected);
      else reject(new Error(`pip exited with ${code}`));
    });
  });
}

async function requirementsHash(requirementsFile: string): Promise<string> {
  const python = requirePrerequisite(PYTHON);
  const { stdout: version } = await run(python, ["--version"]);
  return createHash("sha256").update(readFileSync(requirementsFile)).update(version).digest("hex");
}
