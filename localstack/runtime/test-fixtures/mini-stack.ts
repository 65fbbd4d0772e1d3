/**
 * A small CDK stack, synthesized in the tests, that declares one of each thing the local
 * runtime executes. The runtime tests read it instead of the product stack, so they show the
 * runtime follows whatever a template says.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, Duration, Stack } from "aws-cdk-lib";
import * as lambda from "aws-cdk-lib/aws-lambda";
import {
  S3EventSourceV2,
  S3OnFailureDestination,
  SelfManagedKafkaEventSource,
} from "aws-cdk-lib/aws-lambda-event-sources";
import * as s3 from "aws-cdk-lib/aws-s3";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import * as sfn from "aws-cdk-lib/aws-stepfunctions";
import * as tasks from "aws-cdk-lib/aws-stepfunctions-tasks";
import { loadConfig } from "../../../core/config/index.ts";

export interface MiniStackOptions {
  readonly topic: string;
  readonly batchSize: number;
  readonly bucketName: string;
  readonly retryAttempts?: number;
  readonly onFailureBucketName?: string;
}

/** Handler modules the mini stack's functions point at, written into a throw-away repo root. */
const HANDLERS: Record<string, string> = {
  // Appends every event it gets to EVENTS_FILE; fails on a Kafka record whose value contains "poison".
  echo: `
    import { appendFileSync } from "node:fs";
    export const handler = async (event) => {
      appendFileSync(process.env.EVENTS_FILE, JSON.stringify(event) + "\\n");
      const values = Object.values(event.records ?? {}).flat().map((r) => Buffer.from(r.value, "base64").toString());
      if (values.some((v) => v.includes("poison"))) throw new Error("poison record");
      return { received: true, env: process.env.GREETING };
    };`,
  flaky: `
    let calls = 0;
    export const handler = async (input) => {
      calls += 1;
      if (calls < 3) { const e = new Error("transient"); e.name = "TransientError"; throw e; }
      return { ...input, calls };
    };`,
};

export function writeHandlers(): { repoRoot: string; eventsFile: string } {
  const repoRoot = mkdtempSync(join(tmpdir(), "runtime-repo-"));
  for (const [name, source] of Object.entries(HANDLERS)) {
    mkdirSync(join(repoRoot, "lambdas", name), { recursive: true });
    writeFileSync(join(repoRoot, "lambdas", name, "index.mjs"), source);
    writeFileSync(join(repoRoot, "lambdas", name, "index.ts"), `export * from "./index.mjs";\n`);
  }
  return { repoRoot, eventsFile: join(repoRoot, "events.ndjson") };
}

export function synthMiniStack(options: MiniStackOptions, eventsFile: string): string {
  const outdir = mkdtempSync(join(tmpdir(), "runtime-assembly-"));
  const app = new App({ outdir });
  const stack = new Stack(app, "MiniStack");
  const fn = (id: string, name: string) =>
    new lambda.Function(stack, id, {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: "index.handler",
      code: lambda.Code.fromInline("exports.handler = async () => ({})"),
      timeout: Duration.seconds(10),
      environment: { PIPELINE_FUNCTION: name, EVENTS_FILE: eventsFile, GREETING: `hello from ${id}` },
    });
  const echo = fn("Echo", "echo");
  const flaky = fn("Flaky", "flaky");

  const bucket = new s3.Bucket(stack, "Lake", { bucketName: options.bucketName });
  echo.addEventSource(
    new S3EventSourceV2(bucket, { events: [s3.EventType.OBJECT_CREATED], filters: [{ prefix: "in/" }] }),
  );

  const failureBucket = options.onFailureBucketName
    ? new s3.Bucket(stack, "Failures", { bucketName: options.onFailureBucketName })
    : undefined;
  echo.addEventSource(
    new SelfManagedKafkaEventSource({
      bootstrapServers: loadConfig().kafka.brokers,
      topic: options.topic,
      batchSize: options.batchSize,
      maxBatchingWindow: Duration.seconds(1),
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      consumerGroupId: `mini-${options.topic}`,
      // CDK requires credentials for brokers outside a VPC; the local broker ignores them.
      secret: new secretsmanager.Secret(stack, "KafkaCredentials"),
      retryAttempts: options.retryAttempts,
      onFailure: failureBucket ? new S3OnFailureDestination(failureBucket) : undefined,
    }),
  );

  const flakyStep = new tasks.LambdaInvoke(stack, "Flaky step", {
    lambdaFunction: flaky,
    payloadResponseOnly: true,
    retryOnServiceExceptions: false,
  }).addRetry({ errors: ["TransientError"], maxAttempts: 3, interval: Duration.seconds(1), backoffRate: 1 });
  new sfn.StateMachine(stack, "Pipeline", {
    stateMachineName: "mini-pipeline",
    definitionBody: sfn.DefinitionBody.fromChainable(flakyStep.next(new sfn.Succeed(stack, "Done"))),
  });
  app.synth();
  return outdir;
}
