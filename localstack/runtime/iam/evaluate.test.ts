import { beforeAll, describe, expect, it } from "vitest";
import { arnOfResource, synthesizeTemplate } from "../../../test/fixtures/iam-template.ts";
import type { Template } from "../assembly.ts";
import { createAuthorizer, type TemplateAuthorizer } from "./evaluate.ts";
import { readPolicies } from "./policies.ts";

describe.each([
  ["local", { target: "local" }],
  ["aws", { target: "aws" }],
])("the IAM evaluator on the %s template", (_, context) => {
  let template: Template;
  let iam: TemplateAuthorizer;
  let landRecords: string;
  let rawBucket: string;
  beforeAll(() => {
    template = synthesizeTemplate(context);
    iam = createAuthorizer(template);
    landRecords = arnOfResource(template, "AWS::IAM::Role", "IngestionLandRecordsServiceRole");
    rawBucket = arnOfResource(template, "AWS::S3::Bucket", "LakeRaw");
  }, 60_000);

  it("reads every role with its identity and trust policies, managed ones included", () => {
    const policies = readPolicies(template);
    const role = policies.roles.get(landRecords);
    expect(role?.identityPolicies.map((p) => p.name)).toContain(
      "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    );
    expect(role?.identityPolicies.length).toBeGreaterThan(1);
    expect(policies.resourcePolicies.get(rawBucket)?.Statement.length).toBeGreaterThan(0);
  });

  it("lets every Kafka client function of the AWS template look the brokers up: GetBootstrapBrokers is judged on *, so a grant on the cluster ARN alone is refused (regression: the template granted only that)", async () => {
    if (context.target !== "aws") return; // the local target's Kafka is PLAINTEXT by default
    const clients = [...readPolicies(template).roles.values()].filter((r) =>
      /Ingestion(Aggregate|FileToTopic|StockPoller|TopicsProvisioner)ServiceRole/.test(r.roleName),
    );
    expect(clients).toHaveLength(4);
    for (const role of clients) {
      const lookup = await iam.decide({
        principal: role.roleArn,
        action: "kafka:GetBootstrapBrokers",
        resource: "*",
      });
      expect(lookup.allowed, lookup.explanation).toBe(true);
    }
    const onCluster = await iam.decide({
      principal: clients[0]?.roleArn ?? "",
      action: "kafka:GetBootstrapBrokers",
      resource: "arn:aws:kafka:us-east-1:000000000000:cluster/c/uuid",
    });
    expect(onCluster.allowed).toBe(false);
  });

  it("lets land-records put objects under raw/ and not read the serving table", async () => {
    const put = await iam.decide({
      principal: landRecords,
      action: "s3:PutObject",
      resource: `${rawBucket}/raw/x/y.ndjson.gz`,
    });
    expect(put.allowed).toBe(true);
    expect(put.explanation).toMatch(
      /allowed by statement #\d+ of policy IngestionLandRecordsServiceRoleDefaultPolicy/,
    );
    const table = arnOfResource(template, "AWS::DynamoDB::Table");
    const read = await iam.decide({ principal: landRecords, action: "dynamodb:GetItem", resource: table });
    expect(read).toEqual({
      allowed: false,
      denial: "no-allow",
      explanation: `role ${landRecords.split("/").pop()} may not perform dynamodb:GetItem on ${table}: no statement in its policies allows it`,
    });
    const get = await iam.decide({
      principal: landRecords,
      action: "s3:GetObject",
      resource: `${rawBucket}/raw/x`,
    });
    expect(get.allowed).toBe(false);
  });

  it("refuses a call without TLS by the bucket policy's explicit deny, and allows it with TLS", async () => {
    const request = { principal: landRecords, action: "s3:PutObject", resource: `${rawBucket}/raw/a` };
    const plain = await iam.decide({ ...request, context: { "aws:SecureTransport": "false" } });
    expect(plain.allowed).toBe(false);
    expect(plain.denial).toBe("resource-deny");
    expect(plain.explanation).toContain(
      `explicitly denied by statement #1 of the resource policy of ${rawBucket}`,
    );
    expect((await iam.decide(request)).allowed).toBe(true);
  });

  it("lets S3 invoke file-to-topic only for the raw bucket's events (its Lambda permission)", async () => {
    const fileToTopic = arnOfResource(template, "AWS::Lambda::Function", "IngestionFileToTopic");
    const invoke = { principal: "s3.amazonaws.com", action: "lambda:InvokeFunction", resource: fileToTopic };
    const fromRaw = await iam.decide({
      ...invoke,
      context: { "aws:SourceArn": rawBucket, "aws:SourceAccount": "000000000000" },
    });
    expect(fromRaw.allowed).toBe(true);
    const fromOther = await iam.decide({
      ...invoke,
      context: { "aws:SourceArn": "arn:aws:s3:::someone-elses", "aws:SourceAccount": "000000000000" },
    });
    expect(fromOther.allowed).toBe(false);
    const otherService = await iam.decide({
      ...invoke,
      principal: "sns.amazonaws.com",
      context: { "aws:SourceArn": rawBucket },
    });
    expect(otherService.allowed).toBe(false);
  });

  it("answers whether a service may assume a role (trust policies, with their conditions)", async () => {
    expect((await iam.roleTrusts("lambda.amazonaws.com", landRecords)).allowed).toBe(true);
    expect((await iam.roleTrusts("states.amazonaws.com", landRecords)).allowed).toBe(false);
    const runRole = arnOfResource(template, "AWS::IAM::Role", "OrchestrationPipelineRunRole");
    const machine = arnOfResource(template, "AWS::StepFunctions::StateMachine");
    expect(
      (await iam.roleTrusts("states.amazonaws.com", runRole, { "aws:SourceArn": machine })).allowed,
    ).toBe(true);
    const elsewhere = await iam.roleTrusts("states.amazonaws.com", runRole, {
      "aws:SourceArn": machine,
      "aws:SourceAccount": "111111111111",
    });
    expect(elsewhere.allowed).toBe(false);
    expect(elsewhere.explanation).toContain("no statement of its trust policy allows it");
  });

  it("fails closed on what the evaluator cannot read", async () => {
    const wrongType = await iam.decide({
      principal: landRecords,
      action: "s3:ListBucket",
      resource: `${rawBucket}/raw/x`,
    });
    expect(wrongType.allowed).toBe(false);
    expect(wrongType.explanation).toContain("the policy evaluator refused the request");
  });
});

it("fails loudly on a managed policy it does not know", () => {
  const template: Template = {
    Resources: {
      R: {
        Type: "AWS::IAM::Role",
        Properties: {
          AssumeRolePolicyDocument: { Statement: [] },
          ManagedPolicyArns: ["arn:aws:iam::aws:policy/AdministratorAccess"],
        },
      },
    },
  };
  expect(() => readPolicies(template)).toThrow(
    /does not know the managed policy arn:aws:iam::aws:policy\/AdministratorAccess/,
  );
});
