import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { dbtExecutable } from "../../core/dbt/run.ts";
import { servicesSettings } from "../../localstack/services/index.ts";

const run = promisify(execFile);

describe("dbt from the project's venv", () => {
  it("passes `dbt debug` against the local PostgreSQL warehouse", async () => {
    // Prepare
    const settings = servicesSettings();
    const dbtDir = join(settings.repoRoot, "dbt");

    // Act
    const { stdout } = await run(
      dbtExecutable(),
      ["debug", "--no-use-colors", "--profiles-dir", dbtDir, "--project-dir", dbtDir, "--target", "local"],
      { env: { ...process.env, DBT_SEND_ANONYMOUS_USAGE_STATS: "false" }, timeout: 120_000 },
    );

    // Assess
    expect(stdout).toMatch(/adapter type: postgres/);
    expect(stdout).toMatch(/Connection test: \[OK connection ok\]/);
    expect(stdout).toMatch(/All checks passed!/);
  });
});
