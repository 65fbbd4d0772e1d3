/**
 * cfn-lint (PyPI) in a cached venv built from ./requirements.txt, the way dbt and the emulator
 * are installed: what CI runs over every synthesized AWS configuration docs/DEPLOY.md
 * documents (test/integration/cfn-lint.test.ts). Rules the project ignores, each with its
 * reason, are in the repository's `.cfnlintrc`.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { ensureVenv, venvAt } from "../python-venv.ts";
import type { ServicesSettings } from "../settings.ts";

const run = promisify(execFile);
const REQUIREMENTS = "localstack/services/cfn-lint/requirements.txt";

export interface CfnLintFinding {
  /** E (error), W (warning) or I (informational), then the rule number: `E3002`. */
  readonly rule: string;
  readonly level: "Error" | "Warning" | "Informational";
  readonly message: string;
  readonly file: string;
  /** `Resources/<id>/Properties/…` */
  readonly path: string;
}

/** Installs cfn-lint when its venv is missing or stale; returns the executable. */
export async function ensureCfnLint(settings: ServicesSettings): Promise<string> {
  const dir = join(settings.cacheDir, "cfn-lint-venv");
  await ensureVenv(
    dir,
    join(settings.repoRoot, REQUIREMENTS),
    join(settings.cacheDir, "install-logs", "cfn-lint-pip.log"),
  );
  return venvAt(dir).bin("cfn-lint");
}

/**
 * Lints the templates, split over `processes` cfn-lint processes run side by side (its
 * start-up and per-template rules take seconds each), with the repository's `.cfnlintrc`.
 */
export async function cfnLint(
  executable: string,
  templates: readonly string[],
  repoRoot: string,
  processes = 2,
): Promise<CfnLintFinding[]> {
  const shares = Array.from({ length: Math.min(processes, templates.length) }, (_, i) =>
    templates.filter((_, t) => t % processes === i),
  );
  return (await Promise.all(shares.map((share) => lintOnce(executable, share, repoRoot)))).flat();
}

/** cfn-lint exits non-zero whenever it finds something: the JSON report, not the exit code, says what. */
async function lintOnce(
  executable: string,
  templates: readonly string[],
  repoRoot: string,
): Promise<CfnLintFinding[]> {
  let stdout: string;
  try {
    ({ stdout } = await run(executable, ["--format", "json", "--", ...templates], {
      cwd: repoRoot,
      maxBuffer: 64 * 1024 * 1024,
    }));
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; code?: number };
    // Exit codes are a bit mask of the levels found (2 errors, 4 warnings, 8 informational); 1 is cfn-lint failing.
    if (failed.code === undefined || failed.code === 1 || !failed.stdout) {
      throw new Error(`cfn-lint failed to run: ${failed.stderr || String(error)}`, { cause: error });
    }
    stdout = failed.stdout;
  }
  const report = JSON.parse(stdout || "[]") as Array<{
    Rule: { Id: string };
    Level: CfnLintFinding["level"];
    Message: string;
    Filename: string;
    Location: { Path?: (string | number)[] };
  }>;
  return report.map((m) => ({
    rule: m.Rule.Id,
    level: m.Level,
    message: m.Message,
    file: m.Filename,
    path: (m.Location.Path ?? []).join("/"),
  }));
}
