/**
 * cfn-lint over every configuration docs/DEPLOY.md documents, as a user about to run
 * `cdk deploy` would: any error (E rule) fails; warnings are printed. Ignored rules, each
 * with its reason, are in `.cfnlintrc`. One synth per configuration (without bundling: the
 * template is the same) and one cfn-lint process for all the templates.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { InfraConfigInput } from "../../infra/config.ts";
import { type CfnLintFinding, cfnLint, ensureCfnLint } from "../../localstack/services/cfn-lint/cfn-lint.ts";
import { servicesSettings } from "../../localstack/services/settings.ts";
import { synthesize } from "../fixtures/stacks.ts";

/** DEPLOY.md's configurations: each option away from its default at least once. */
const CONFIGURATIONS: Record<string, InfraConfigInput> = {
  "serverless-snowflake": {},
  "serverless-postgres-nat": { warehouse: "postgres", natGateway: true },
  "provisioned-snowflake-stage-role": {
    kafkaMode: "provisioned",
    snowflakeIamUserArn: "arn:aws:iam::123456789012:user/snowflake",
    snowflakeExternalId: "EXTERNAL_ID",
  },
  "provisioned-postgres-nat-destroy": {
    kafkaMode: "provisioned",
    warehouse: "postgres",
    natGateway: true,
    removalPolicy: "destroy",
    logRetentionDays: 7,
    alertEmail: "ops@example.com",
    schedule: "cron(0 6 * * ? *)",
  },
  local: { target: "local" },
};

const work = mkdtempSync(join(tmpdir(), "cfn-lint-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const describeFinding = (f: CfnLintFinding) =>
  `${f.rule} ${f.file.replace(`${work}/`, "")} ${f.path}: ${f.message}`;

describe("cfn-lint", () => {
  it("finds no error in any documented configuration's template", { timeout: 300_000 }, async () => {
    // Prepare: cfn-lint (cached venv) and one template per configuration.
    const settings = servicesSettings();
    const executable = await ensureCfnLint(settings);
    const started = Date.now();
    const files = Object.entries(CONFIGURATIONS).map(([name, context]) => {
      const file = join(work, `${name}.template.json`);
      writeFileSync(file, JSON.stringify(synthesize(context).template.toJSON(), null, 1));
      return file;
    });
    const synthesized = Date.now();

    // Act
    const findings = await cfnLint(executable, files, settings.repoRoot);

    // Assess
    const errors = findings.filter((f) => f.level === "Error");
    const others = findings.filter((f) => f.level !== "Error");
    console.log(
      `cfn-lint: ${files.length} templates, synth ${((synthesized - started) / 1000).toFixed(1)} s, lint ${((Date.now() - synthesized) / 1000).toFixed(1)} s; ${errors.length} errors, ${others.length} warnings${others.length ? `:\n  ${others.map(describeFinding).join("\n  ")}` : ""}`,
    );
    expect(errors.map(describeFinding)).toEqual([]);
  });

  it("reports an error it is shown (the check can fail)", { timeout: 120_000 }, async () => {
    // Prepare: a template with a property the resource type doesn't have.
    const settings = servicesSettings();
    const executable = await ensureCfnLint(settings);
    const file = join(work, "broken.template.json");
    writeFileSync(
      file,
      JSON.stringify({
        Resources: { Queue: { Type: "AWS::SQS::Queue", Properties: { NotAProperty: true } } },
      }),
    );

    // Act
    const findings = await cfnLint(executable, [file], settings.repoRoot);

    // Assess
    expect(findings.filter((f) => f.level === "Error").map((f) => f.path)).toEqual([
      expect.stringContaining("Resources/Queue/Properties"),
    ]);
  });
});
