/**
 * The local target: the same app for offline runs — the local broker wired as MSK with IAM
 * auth (a local cluster ARN, the AWS target's grants; self-managed with `localKafkaIam=false`),
 * no VPC and no MSK resource, emulator endpoints, the offline PostgreSQL, and the per-function
 * metadata the local runtime reads from the template.
 */
import { Match } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { functionId, resourcesOf, stateMachineDefinition, synthesize } from "../test/fixtures/stacks.ts";
import { LOCAL_CLUSTER_UUID } from "./constructs/streaming.ts";
import { functions, type KafkaTrigger } from "./functions.ts";

describe("local target", () => {
  const { template } = synthesize({ target: "local" });

  it("has no VPC, no NAT, no MSK cluster and no CloudFront", () => {
    for (const type of [
      "AWS::EC2::VPC",
      "AWS::EC2::NatGateway",
      "AWS::EC2::SecurityGroup",
      "AWS::MSK::ServerlessCluster",
      "AWS::MSK::Cluster",
      "AWS::CloudFront::Distribution",
    ]) {
      template.resourceCountIs(type, 0);
    }
    for (const fn of Object.values(resourcesOf(template, "AWS::Lambda::Function"))) {
      expect(fn.Properties?.VpcConfig).toBeUndefined();
    }
  });

  it("consumes from the local cluster as MSK with IAM, with the registry's batching and retries", () => {
    for (const spec of functions) {
      for (const trigger of spec.triggers.filter((t): t is KafkaTrigger => t.kind === "kafka")) {
        for (const topic of trigger.topics) {
          template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
            FunctionName: { Ref: functionId(template, spec.name) },
            Topics: [topic],
            EventSourceArn: Match.anyValue(),
            AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: `local-${spec.name}-${topic}` },
            BatchSize: trigger.batchSize,
            StartingPosition: trigger.startingPosition,
            MaximumRetryAttempts: trigger.retryAttempts,
            DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
          });
        }
      }
    }
  });

  it("points every function at the emulator, the local broker and the offline PostgreSQL", () => {
    for (const spec of functions) {
      const fn = resourcesOf(template, "AWS::Lambda::Function")[functionId(template, spec.name)];
      const variables = (fn?.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)
        ?.Variables;
      expect(variables).toMatchObject({
        PIPELINE_FUNCTION: spec.name,
        AWS_ENDPOINT_URL: "http://127.0.0.1:4566",
        RAW_BUCKET: "pipeline-raw",
        QUARANTINE_BUCKET: "pipeline-quarantine",
        ARTIFACTS_BUCKET: "pipeline-artifacts",
        WAREHOUSE_TARGET: "postgres",
        DATABASE_URL: "postgres://pipeline:pipeline@127.0.0.1:5432/warehouse",
      });
      if (spec.kafkaClient)
        expect(variables).toMatchObject({
          KAFKA_AUTH: "iam",
          KAFKA_TLS: "false",
        });
      if (spec.kafkaClient)
        expect(JSON.stringify(variables?.MSK_CLUSTER_ARN)).toContain(
          `:cluster/pipeline-local/${LOCAL_CLUSTER_UUID}`,
        );
    }
  });

  it("names the buckets as core/config's defaults, and notifies the loader directly", () => {
    for (const name of ["pipeline-raw", "pipeline-quarantine", "pipeline-artifacts"]) {
      template.hasResourceProperties("AWS::S3::Bucket", { BucketName: name });
    }
    template.hasResourceProperties("Custom::S3BucketNotifications", {
      NotificationConfiguration: {
        LambdaFunctionConfigurations: Match.arrayWith([
          Match.objectLike({
            Filter: { Key: { FilterRules: [{ Name: "prefix", Value: "raw/" }] } },
            LambdaFunctionArn: { "Fn::GetAtt": [functionId(template, "load-raw"), "Arn"] },
          }),
        ]),
      },
    });
  });

  it("points the dbt task at the offline PostgreSQL with dbt's local target", () => {
    const [definition] = Object.values(resourcesOf(template, "AWS::ECS::TaskDefinition"));
    const container = (
      (definition?.Properties?.ContainerDefinitions ?? []) as { Environment: unknown[] }[]
    )[0];
    expect(container?.Environment).toEqual(
      expect.arrayContaining([
        { Name: "DBT_TARGET", Value: "local" },
        { Name: "PGHOST", Value: "127.0.0.1" },
        { Name: "PGDATABASE", Value: "warehouse" },
        { Name: "AWS_ENDPOINT_URL", Value: "http://127.0.0.1:4566" },
      ]),
    );
  });

  it("keeps the same state machine as the AWS target", { timeout: 120_000 }, () => {
    const local = stateMachineDefinition(template).States as Record<string, unknown>;
    const aws = stateMachineDefinition(synthesize().template).States as Record<string, unknown>;
    expect(Object.keys(local).sort()).toEqual(Object.keys(aws).sort());
  });
});
