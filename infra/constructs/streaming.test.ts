/**
 * Kafka rights as the template states them, both targets: every Kafka client function can
 * reach the topics it produces to (issue 12 bug 1: file-to-topic and stock-poller had none),
 * and the local target's MSK IAM wiring is the AWS one (same grants, a local cluster ARN).
 */
import { App, Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import * as lambda from "aws-cdk-lib/aws-lambda";
import { SqsDlq } from "aws-cdk-lib/aws-lambda-event-sources";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { describe, expect, it } from "vitest";
import { datasets } from "../../core/datasets/index.ts";
import { functionId, resourcesOf, synthesize } from "../../test/fixtures/stacks.ts";
import { datasetTopics, functions, type KafkaTrigger } from "../functions.ts";
import { LOCAL_CLUSTER_UUID, LocalKafka } from "./streaming.ts";

interface Statement {
  Action: string | string[];
  Resource: unknown;
}

function policyStatements(properties: Record<string, unknown> | undefined): Statement[] {
  return (properties?.PolicyDocument as { Statement?: Statement[] } | undefined)?.Statement ?? [];
}

/** The statements of the policies attached to a function's role. */
function statementsOf(template: Template, functionName: string): Statement[] {
  const fn = resourcesOf(template, "AWS::Lambda::Function")[functionId(template, functionName)];
  const role = JSON.stringify(
    (fn?.Properties?.Role as { "Fn::GetAtt"?: string[] } | undefined)?.["Fn::GetAtt"]?.[0],
  );
  return Object.values(resourcesOf(template, "AWS::IAM::Policy"))
    .filter((p) => JSON.stringify(p.Properties?.Roles).includes(role))
    .flatMap((p) => policyStatements(p.Properties));
}

/** The resources (as JSON) a function's role may apply `action` to. */
function resourcesAllowed(template: Template, functionName: string, action: string): string[] {
  return statementsOf(template, functionName)
    .filter((s) => [s.Action].flat().includes(action))
    .flatMap((s) => [s.Resource].flat().map((r) => JSON.stringify(r)));
}

/** An ARN CDK joined around `${AWS::Partition}`, as the local runtime resolves it. */
function withPartition(value: unknown): unknown {
  const join = (value as { "Fn::Join"?: [string, unknown[]] })["Fn::Join"];
  if (!join) return value;
  return join[1].map((part) => (typeof part === "string" ? part : "aws")).join(join[0]);
}

const stocksTopics = datasets.filter((d) => d.name === "stocks").flatMap((d) => d.topics.map((t) => t.topic));

describe("Kafka produce rights from the registry (AWS target)", () => {
  const { template } = synthesize();

  it.each([
    ["file-to-topic", datasetTopics],
    ["stock-poller", stocksTopics],
  ])("gives %s WriteData on each topic it produces to, Connect and the broker lookup", (name, topics) => {
    const writable = resourcesAllowed(template, name, "kafka-cluster:WriteData");
    for (const topic of topics) {
      expect(
        writable.some((r) => r.includes(":topic/pipeline-dev/") && r.endsWith(`/${topic}"]]}`)),
        topic,
      ).toBe(true);
    }
    expect(resourcesAllowed(template, name, "kafka-cluster:DescribeTopic")).toHaveLength(writable.length);
    expect(resourcesAllowed(template, name, "kafka-cluster:Connect")).toHaveLength(1);
    expect(resourcesAllowed(template, name, "kafka:GetBootstrapBrokers")).toHaveLength(1);
  });

  it("gives every function with a Kafka producer client some topic to write", () => {
    for (const spec of functions.filter((f) => f.kafkaClient === "produce")) {
      expect(spec.producesTo?.length ?? 0, spec.name).toBeGreaterThan(0);
    }
  });
});

describe("LocalKafka with MSK IAM: the AWS wiring under a local cluster ARN", () => {
  const app = new App();
  const stack = new Stack(app, "Local", { env: { account: "000000000000", region: "us-east-1" } });
  const kafka = new LocalKafka(stack, "Streaming", { mskIam: { clusterName: "pipeline-local" } });
  const fn = new lambda.Function(stack, "Producer", {
    runtime: lambda.Runtime.NODEJS_24_X,
    handler: "index.handler",
    code: lambda.Code.fromInline("exports.handler = async () => {}"),
    environment: { PIPELINE_FUNCTION: "producer", ...kafka.clientEnvironment },
  });
  kafka.grantProduce(fn, ["stocks.prices"]);
  const trigger: KafkaTrigger = {
    kind: "kafka",
    topics: ["elections.votes"],
    batchSize: 100,
    maxBatchingWindowSeconds: 1,
    startingPosition: "TRIM_HORIZON",
    retryAttempts: 2,
    bisectBatchOnError: false,
  } as KafkaTrigger;
  fn.addEventSource(
    kafka.eventSource(
      "elections.votes",
      trigger,
      "local-consumer",
      new SqsDlq(new sqs.Queue(stack, "Failures")),
    ),
  );
  kafka.grantConsume(fn, ["elections.votes"], ["local-consumer"]);
  const template = Template.fromStack(stack);
  const clusterArn = `arn:aws:kafka:us-east-1:000000000000:cluster/pipeline-local/${LOCAL_CLUSTER_UUID}`;
  const arn = (kind: string, name: string) =>
    `arn:aws:kafka:us-east-1:000000000000:${kind}/pipeline-local/${LOCAL_CLUSTER_UUID}/${name}`;
  const allowed = (action: string) =>
    Object.values(resourcesOf(template, "AWS::IAM::Policy"))
      .flatMap((p) => policyStatements(p.Properties))
      .filter((s) => [s.Action].flat().includes(action))
      .flatMap((s) => [s.Resource].flat().map(withPartition));

  it("tells functions to use IAM auth without TLS against the local cluster ARN", () => {
    expect(withPartition(stack.resolve(kafka.clientEnvironment.MSK_CLUSTER_ARN))).toBe(clusterArn);
    expect(kafka.clientEnvironment).toEqual({
      KAFKA_AUTH: "iam",
      MSK_CLUSTER_ARN: kafka.clusterArn,
      KAFKA_TLS: "false",
    });
  });

  it("grants the kafka-cluster actions on MSK's topic, group and cluster ARNs", () => {
    expect(allowed("kafka-cluster:WriteData")).toEqual([arn("topic", "stocks.prices")]);
    expect(allowed("kafka-cluster:ReadData")).toEqual([arn("topic", "elections.votes")]);
    expect(allowed("kafka-cluster:AlterGroup")).toEqual([arn("group", "local-consumer")]);
    expect(allowed("kafka-cluster:Connect")).toContain(clusterArn);
    expect(allowed("kafka:GetBootstrapBrokers")).toContain(clusterArn);
  });

  it("maps topics as MSK event sources on that cluster, with no placeholder secret", () => {
    template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      EventSourceArn: stack.resolve(kafka.clusterArn),
      Topics: ["elections.votes"],
      AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: "local-consumer" },
    });
    template.resourceCountIs("AWS::SecretsManager::Secret", 0);
  });
});
