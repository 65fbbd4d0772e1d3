/**
 * IAM enforced by the local runtime, on the synthesized template: a function's AWS calls are
 * judged against its execution role, a role without the grant gets AWS's AccessDenied (in the
 * function's error and its log), and every call the offline run made is one the AWS target's
 * template allows too.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { s3 } from "../../core/aws/clients.ts";
import { loadConfig } from "../../core/config/index.ts";
import { runResultsKey } from "../../lambdas/quality-gate/gate.ts";
import { readAssembly, type Template } from "../../localstack/runtime/assembly.ts";
import { replayOnAwsTemplate } from "../../localstack/runtime/iam/aws-replay.ts";
import { useLocalServicesEnv } from "../../localstack/runtime/open.ts";
import { LocalRuntime } from "../../localstack/runtime/runtime.ts";
import { synthLocal } from "../../localstack/runtime/synth.ts";
import { REPO_ROOT } from "../../localstack/services/settings.ts";
import { synthesize } from "../fixtures/stacks.ts";

const passedRunResults = readFileSync(
  join(REPO_ROOT, "lambdas/quality-gate/fixtures/run_results.passed.json"),
  "utf8",
);

/** The assembly with every statement of the quality gate's role that grants an S3 action removed. */
function withoutQualityGateS3(assemblyDir: string): string {
  const copy = mkdtempSync(join(tmpdir(), "iam-assembly-"));
  cpSync(assemblyDir, copy, { recursive: true });
  const stack = readAssembly(copy)[0];
  if (!stack) throw new Error("no stack in the assembly");
  const file = join(copy, `${stack.stackName}.template.json`);
  const template = JSON.parse(readFileSync(file, "utf8")) as Template;
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== "AWS::IAM::Policy" || !id.startsWith("IngestionQualityGate")) continue;
    const document = resource.Properties?.PolicyDocument as { Statement: Array<{ Action: unknown }> };
    document.Statement = document.Statement.filter((s) => !JSON.stringify(s.Action).includes('"s3:'));
  }
  writeFileSync(file, JSON.stringify(template));
  return copy;
}

describe("IAM enforced offline", () => {
  const dirs: string[] = [];
  const runtimes: LocalRuntime[] = [];
  let assemblyDir: string;
  const log: string[] = [];

  const runtimeOn = (assembly: string) => {
    const stateDir = mkdtempSync(join(tmpdir(), "iam-runtime-"));
    dirs.push(stateDir);
    const runtime = new LocalRuntime({
      assemblyDir: assembly,
      repoRoot: REPO_ROOT,
      stateDir,
      log: (m) => log.push(m),
    });
    runtimes.push(runtime);
    return { runtime, stateDir };
  };

  beforeAll(async () => {
    useLocalServicesEnv();
    const out = mkdtempSync(join(tmpdir(), "iam-synth-"));
    dirs.push(out);
    assemblyDir = await synthLocal({
      repoRoot: REPO_ROOT,
      outDir: out,
      context: {
        localKafkaBrokers: process.env.KAFKA_BROKERS ?? "127.0.0.1:9092",
        localAwsEndpoint: process.env.AWS_ENDPOINT_URL ?? "http://127.0.0.1:4566",
        localDatabaseUrl: loadConfig().postgres.url,
      },
    });
  }, 240_000);

  afterAll(async () => {
    await Promise.all(runtimes.map((r) => r.stop()));
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it("allows what the role grants, refuses what it doesn't with AWS's AccessDenied, in the function's log too, and the AWS template allows every call made", async () => {
    // Prepare: the artifacts a quality gate reads, written as the operator.
    const allowed = runtimeOn(assemblyDir);
    await allowed.runtime.deploy();
    const runId = `iam-${Date.now()}`;
    await s3().send(
      new PutObjectCommand({
        Bucket: loadConfig().buckets.artifacts,
        Key: runResultsKey(runId),
        Body: passedRunResults,
      }),
    );
    const gate = allowed.runtime.functionNameOf("quality-gate");
    const denied = runtimeOn(withoutQualityGateS3(assemblyDir));

    // Act
    const verdict = await allowed.runtime.invoke<{ passed?: boolean }>(gate, { runId, exitCode: 0 });
    const refusal = await denied.runtime.invoke(gate, { runId, exitCode: 0 }).catch((e: Error) => e);

    // Assess: the granted read works, the same read without the grant fails as S3 fails it.
    expect(verdict).toBeTruthy();
    expect(refusal).toBeInstanceOf(Error);
    expect((refusal as Error).message).toMatch(/AccessDenied/);
    expect((refusal as Error).message).toContain("is not authorized to perform: s3:GetObject");
    expect((refusal as Error).message).toContain("assumed-role/IngestionQualityGateServiceRole");
    const functionLog = readFileSync(join(denied.stateDir, "logs", `${gate}.log`), "utf8");
    expect(functionLog).toContain("s3:GetObject");
    expect(log.some((m) => m.startsWith("IAM denied:") && m.includes("s3:GetObject"))).toBe(true);

    // And the calls the allowed run made (deploy — the S3 notification check included —, the
    // gate's read) pass on the AWS template of the same warehouse (PostgreSQL: S3 notifies
    // load-raw directly; on Snowflake a queue sits in between).
    const journal = allowed.runtime.accessJournal;
    expect(journal.some((r) => r.action === "s3:GetObject")).toBe(true);
    const aws = synthesize({ warehouse: "postgres" }).template.toJSON() as Template;
    const local = readAssembly(assemblyDir)[0]?.template as Template;
    const problems = await replayOnAwsTemplate(journal, { local, aws });
    expect(problems).toEqual([]);
    // The replay is no rubber stamp: a read the AWS role lacks is reported.
    const landRecordsRole = journal.find((r) => r.principal.includes("LandRecords"))?.principal;
    const lacking = await replayOnAwsTemplate(
      [
        {
          principal:
            landRecordsRole ?? "arn:aws:iam::000000000000:role/IngestionLandRecordsServiceRole2B0F7DF8",
          action: "dynamodb:GetItem",
          resource: "arn:aws:dynamodb:us-east-1:000000000000:table/pipeline-serving",
        },
      ],
      { local, aws },
    );
    expect(lacking).toHaveLength(1);
    expect(lacking[0]?.problem).toMatch(/IAM in the AWS template/);
  }, 300_000);
});
