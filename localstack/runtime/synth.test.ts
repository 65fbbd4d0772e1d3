import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { inputsFingerprint } from "./synth.ts";

describe("the local assembly's fingerprint (reused while it holds: regression, every `pipeline run` synthesized again)", () => {
  const roots: string[] = [];
  afterEach(() => {
    for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
  });

  function repo(): string {
    const root = mkdtempSync(join(tmpdir(), "synth-inputs-"));
    roots.push(root);
    mkdirSync(join(root, "infra"), { recursive: true });
    mkdirSync(join(root, "dbt", "target"), { recursive: true });
    writeFileSync(join(root, "infra", "app.ts"), "app");
    writeFileSync(join(root, "cdk.json"), "{}");
    return root;
  }

  it("changes with a source file or the context, not with build output or tests", () => {
    // Prepare
    const root = repo();
    const context = { target: "local", localKafkaBrokers: "127.0.0.1:9092" };
    const first = inputsFingerprint(root, context);

    // Act
    writeFileSync(join(root, "dbt", "target", "run_results.json"), "{}");
    writeFileSync(join(root, "infra", "app.test.ts"), "test");
    const afterOutput = inputsFingerprint(root, context);
    const otherContext = inputsFingerprint(root, { ...context, localKafkaBrokers: "127.0.0.1:12092" });
    writeFileSync(join(root, "infra", "app.ts"), "app changed");
    const afterSource = inputsFingerprint(root, context);

    // Assess
    expect(afterOutput).toBe(first);
    expect(otherContext).not.toBe(first);
    expect(afterSource).not.toBe(first);
  });
});
