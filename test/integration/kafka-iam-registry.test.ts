/**
 * Issue 12 bug 1 under enforcement: the registry's Kafka producers, synthesized with the
 * local MSK IAM wiring and judged by the real IAM evaluator (createAuthorizer), can produce
 * to their topics through the broker's IAM listener — and only there. Without `producesTo`
 * (the old registry) file-to-topic and stock-poller had no grant, and Kafka refuses them.
 */
import { randomUUID } from "node:crypto";
import { App, Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import * as lambda from "aws-cdk-lib/aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../core/config/index.ts";
import { connectProducer, createKafka, ensureTopics } from "../../core/kafka/client.ts";
import { LOCAL_CLUSTER_UUID, LocalKafka } from "../../infra/constructs/streaming.ts";
import { datasetTopics, functions } from "../../infra/functions.ts";
import type { Template as CfnTemplate } from "../../localstack/runtime/assembly.ts";
import { CredentialStore } from "../../localstack/runtime/iam/credentials.ts";
import { createAuthorizer } from "../../localstack/runtime/iam/evaluate.ts";
import { kafkaForRole, syncKafkaAcls } from "../../localstack/runtime/iam/kafka-acls.ts";
import { mskIamAllowListFile, mskIamCredentialsDir } from "../../localstack/services/kafka/kafka.ts";
import { servicesSettings } from "../../localstack/services/settings.ts";

const clusterName = `registry-${randomUUID().slice(0, 8)}`;
const clusterArn = `arn:aws:kafka:us-east-1:000000000000:cluster/${clusterName}/${LOCAL_CLUSTER_UUID}`;
const producers = ["file-to-topic", "stock-poller"];

/** The registry's producers as the local target grants them, one function (and role) each. */
function producersTemplate(): CfnTemplate {
  const stack = new Stack(new App(), "Local");
  const kafka = new LocalKafka(stack, "Streaming", { mskIam: { clusterName } });
  for (const spec of functions.filter((f) => producers.includes(f.name))) {
    const fn = new lambda.Function(stack, spec.name, {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: "index.handler",
      code: lambda.Code.fromInline("exports.handler = async () => {}"),
      environment: { PIPELINE_FUNCTION: spec.name, ...kafka.clientEnvironment },
    });
    if (spec.producesTo) kafka.grantProduce(fn, spec.producesTo);
  }
  return Template.fromStack(stack).toJSON() as CfnTemplate;
}

describe("the registry's Kafka producers under offline MSK IAM (real evaluator)", () => {
  const settings = servicesSettings();
  const iamBrokers = [`127.0.0.1:${settings.ports.kafkaIam}`];
  const kafkaSettings = loadConfig().kafka;
  const store = new CredentialStore({ mirrorDir: mskIamCredentialsDir(settings) });
  const admin = createKafka(kafkaSettings, "-iam-registry-test").admin();
  const template = producersTemplate();
  const authorizer = createAuthorizer(template, { region: "us-east-1" });
  const roleOf = (name: string) => {
    const fnId = Object.entries(template.Resources).find(
      ([, r]) =>
        (r.Properties as { Environment?: { Variables?: Record<string, unknown> } })?.Environment?.Variables
          ?.PIPELINE_FUNCTION === name,
    )?.[0];
    const properties = template.Resources[fnId ?? ""]?.Properties as
      | { Role?: { "Fn::GetAtt"?: string[] } }
      | undefined;
    const roleId = properties?.Role?.["Fn::GetAtt"]?.[0];
    const role = [...authorizer.policies.roles.values()].find((r) => r.logicalId === roleId);
    if (!role) throw new Error(`no role for ${name}`);
    return role.roleArn;
  };

  async function produceAs(name: string, topic: string) {
    const producer = await connectProducer(
      kafkaForRole(kafkaSettings, roleOf(name), store.issue(roleOf(name), { sessionName: name }), iamBrokers),
    );
    try {
      await producer.send({ topic, messages: [{ key: "k", value: "{}" }], acks: -1 });
    } finally {
      await producer.disconnect();
    }
  }

  beforeAll(async () => {
    await admin.connect();
    await ensureTopics(
      admin,
      datasetTopics.map((topic) => ({ topic, partitions: 1 })),
    );
    await syncKafkaAcls(admin, authorizer, {
      clusterArn,
      clusterName,
      topics: datasetTopics,
      groups: [],
      roles: [...authorizer.policies.roles.keys()],
      allowListFile: mskIamAllowListFile(settings),
    });
  });

  afterAll(async () => {
    await admin.disconnect();
    store.close();
  });

  it("lets file-to-topic produce to every dataset topic", async () => {
    for (const topic of datasetTopics)
      await expect(produceAs("file-to-topic", topic), topic).resolves.toBeUndefined();
  });

  it("lets stock-poller produce to stocks.prices and refuses it elsewhere with TOPIC_AUTHORIZATION_FAILED", async () => {
    await expect(produceAs("stock-poller", "stocks.prices")).resolves.toBeUndefined();
    const error = (await produceAs("stock-poller", "elections.votes").catch((e: unknown) => e)) as {
      type?: string;
      cause?: { type?: string };
    };
    expect([error.type, error.cause?.type]).toContain("TOPIC_AUTHORIZATION_FAILED");
  });
});
