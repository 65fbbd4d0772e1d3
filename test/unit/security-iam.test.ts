/**
 * IAM least privilege, over every policy of the synthesized template (both targets, every
 * configuration cdk-nag is run on), whatever functions and constructs the stack holds today:
 *
 * - no Allow statement with a wildcard action (`*`, `s3:*`, `s3:Get*`…), NotAction or NotResource;
 * - no `Resource: "*"` for a data service (S3, DynamoDB, Secrets Manager, SQS, SNS, Kafka data
 *   plane, KMS…), nor a Kafka topic/group ARN ending in `*`;
 * - `Resource: "*"` elsewhere only for actions AWS can't scope, listed below with the reason;
 * - AWS managed policies only from the list below, with the reason.
 *
 * A new construct that trips this: scope the grant to the resource (CDK `grant*` methods on the
 * resource, or explicit actions and ARNs); add an entry below only when AWS offers no scoping.
 */
import { describe, expect, it } from "vitest";
import type { InfraConfigInput } from "../../infra/config.ts";
import { synthesize } from "../fixtures/stacks.ts";

const CONFIGURATIONS: readonly InfraConfigInput[] = [
  { target: "aws" },
  { target: "local" },
  { target: "aws", kafkaMode: "provisioned", natGateway: true, alertEmail: "ops@example.com" },
  { target: "aws", warehouse: "postgres", removalPolicy: "destroy" },
];

/** Services whose resources hold or move data: never `Resource: "*"`. */
const DATA_SERVICES = new Set([
  "s3",
  "dynamodb",
  "secretsmanager",
  "sqs",
  "sns",
  "kafka-cluster",
  "kms",
  "ssm",
  "kinesis",
  "firehose",
  "rds-data",
  "athena",
  "glue",
]);

/** An exception to a rule: which (statement, action) pairs it covers, and why. */
interface Exception {
  readonly applies: (s: Statement, action: string) => boolean;
  readonly reason: string;
}

const anywhere = (actions: RegExp) => (_s: Statement, action: string) => actions.test(action);

/** CDK's BucketDeployment singleton (the dashboard's static files): its role, by logical id. */
const inBucketDeployment = (actions: RegExp) => (s: Statement, action: string) =>
  s.where.startsWith("CustomCDKBucketDeployment") && actions.test(action);

/** CDK's autoDeleteObjects provider, as the principal of a bucket policy statement. */
const toAutoDeleteProvider = (actions: RegExp) => (s: Statement, action: string) =>
  flatten((s.Principal as { AWS?: unknown } | undefined)?.AWS).startsWith(
    "<CustomS3AutoDeleteObjectsCustomResourceProviderRole",
  ) && actions.test(action);

/** Actions allowed on `Resource: "*"`: AWS defines no resource type for them (or CDK emits them so). */
const STAR_RESOURCE_ALLOWED: readonly Exception[] = [
  {
    applies: anywhere(/^xray:(PutTraceSegments|PutTelemetryRecords|GetSamplingRules|GetSamplingTargets)$/),
    reason: "X-Ray tracing: these actions have no resource type in IAM",
  },
  {
    applies: anywhere(/^kafka:GetBootstrapBrokers$/),
    reason:
      "MSK's broker lookup has no resource type in IAM: only * grants it (a grant on the cluster ARN is refused)",
  },
  {
    applies: anywhere(/^ecr:GetAuthorizationToken$/),
    reason: "ECR login token for pulling the dbt image: account-wide by design, no resource type",
  },
  {
    applies: anywhere(/^ecs:(StopTask|DescribeTasks)$/),
    reason:
      "Step Functions' runTask.sync polls and stops the task it started; the task ARN is unknown until run time",
  },
  {
    applies: anywhere(
      /^logs:(CreateLogDelivery|GetLogDelivery|UpdateLogDelivery|DeleteLogDelivery|ListLogDeliveries|PutResourcePolicy|DescribeResourcePolicies|DescribeLogGroups)$/,
    ),
    reason: "Step Functions logging to CloudWatch Logs: vended-log delivery actions support only '*'",
  },
  {
    applies: anywhere(/^cloudwatch:PutMetricData$/),
    reason: "Powertools metrics: PutMetricData has no resource type (a namespace condition scopes it)",
  },
  {
    applies: anywhere(
      /^ec2:(CreateNetworkInterface|DescribeNetworkInterfaces|DeleteNetworkInterface|AssignPrivateIpAddresses|UnassignPrivateIpAddresses)$/,
    ),
    reason: "Lambda in a VPC: ENI management has no resource-level scoping at creation",
  },
  {
    applies: inBucketDeployment(/^cloudfront:(GetInvalidation|CreateInvalidation)$/),
    reason: "CDK's BucketDeployment invalidates the dashboard's distribution; CDK offers no way to scope it",
  },
];

/** Partial wildcard actions (`s3:List*`) CDK itself writes, on resources it scopes to one bucket. */
const WILDCARD_ACTION_ALLOWED: readonly Exception[] = [
  {
    applies: toAutoDeleteProvider(/^s3:(GetBucket\*|List\*|DeleteObject\*)$/),
    reason:
      "CDK's autoDeleteObjects (removalPolicy=destroy only): its provider empties this one bucket before deletion",
  },
  {
    applies: inBucketDeployment(/^s3:(GetObject\*|GetBucket\*|List\*|DeleteObject\*|Abort\*|PutObject\*)$/),
    reason:
      "CDK's BucketDeployment copies the dashboard's files from the asset bucket into the site bucket (both named)",
  },
];

/** AWS managed policies a role may carry. */
const MANAGED_POLICIES_ALLOWED: Record<string, string> = {
  "service-role/AWSLambdaBasicExecutionRole": "CloudWatch Logs writes of the function's own log group",
  "service-role/AWSLambdaVPCAccessExecutionRole": "ENIs for functions that run Kafka clients in the VPC",
  "service-role/AWSLambdaMSKExecutionRole":
    "added by ManagedKafkaEventSource: what Lambda's MSK pollers need (cluster describe, ENIs)",
};

interface Statement {
  readonly where: string;
  readonly Effect?: string;
  readonly Action?: unknown;
  readonly NotAction?: unknown;
  readonly Resource?: unknown;
  readonly NotResource?: unknown;
  readonly Principal?: unknown;
}

const asArray = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** A template value as text; intrinsics become `<…>` (never a `*`). */
function flatten(value: unknown): string {
  if (typeof value === "string") return value;
  const node = (value ?? {}) as Record<string, unknown>;
  if ("Fn::Join" in node) {
    const [separator, parts] = node["Fn::Join"] as [string, unknown[]];
    return parts.map(flatten).join(separator);
  }
  if ("Fn::Sub" in node) return flatten(asArray(node["Fn::Sub"])[0]);
  if ("Ref" in node) return `<${String(node.Ref)}>`;
  if ("Fn::GetAtt" in node) return `<${asArray(node["Fn::GetAtt"]).join(".")}>`;
  return "<intrinsic>";
}

/** The properties of template resources these checks read. */
interface PolicyHolder {
  readonly Type: string;
  readonly Properties?: {
    readonly PolicyDocument?: { Statement?: unknown };
    readonly KeyPolicy?: { Statement?: unknown };
    readonly Policies?: readonly { PolicyName: string; PolicyDocument: { Statement?: unknown } }[];
    readonly ManagedPolicyArns?: unknown;
  };
}

function resourcesOf(template: Record<string, unknown>): Record<string, PolicyHolder> {
  return template.Resources as Record<string, PolicyHolder>;
}

/** Every statement of every policy document in a template, with where it lives. */
function statements(template: Record<string, unknown>): Statement[] {
  const found: Statement[] = [];
  const resources = resourcesOf(template);
  const add = (where: string, document: { Statement?: unknown } | undefined) => {
    for (const s of asArray(document?.Statement)) found.push({ where, ...(s as object) });
  };
  for (const [id, { Type, Properties: p = {} }] of Object.entries(resources)) {
    if (Type === "AWS::IAM::Role")
      for (const inline of p.Policies ?? []) add(`${id} (${inline.PolicyName})`, inline.PolicyDocument);
    if (Type === "AWS::KMS::Key") add(id, p.KeyPolicy);
    else if (p.PolicyDocument) add(id, p.PolicyDocument);
  }
  return found;
}

/** The AWS managed policies attached to roles: `service-role/Name`. */
function managedPolicies(template: Record<string, unknown>): { where: string; name: string }[] {
  return Object.entries(resourcesOf(template))
    .filter(([, r]) => r.Type === "AWS::IAM::Role")
    .flatMap(([id, r]) =>
      asArray(r.Properties?.ManagedPolicyArns).map((arn) => ({
        where: id,
        name: flatten(arn).replace(/^.*:iam::aws:policy\//, ""),
      })),
    );
}

/** The findings of one statement: what least privilege forbids. */
function findings(s: Statement): string[] {
  if (s.Effect !== "Allow") return []; // Deny statements (TLS-only bucket policies…) may be broad
  const found: string[] = [];
  const at = (what: string) => `${s.where}: ${what}`;
  if (s.NotAction !== undefined) found.push(at("Allow with NotAction"));
  if (s.NotResource !== undefined) found.push(at("Allow with NotResource"));
  const actions = asArray(s.Action).map(String);
  const resources = asArray(s.Resource).map(flatten);
  const excepted = (list: readonly Exception[], action: string) => list.some((e) => e.applies(s, action));
  for (const action of actions)
    if (action.includes("*") && !excepted(WILDCARD_ACTION_ALLOWED, action))
      found.push(at(`wildcard action ${action}`));
  if (resources.includes("*")) {
    for (const action of actions) {
      const service = action.split(":")[0] ?? "";
      if (DATA_SERVICES.has(service) && !excepted(STAR_RESOURCE_ALLOWED, action))
        found.push(at(`${action} on Resource "*" (a data service)`));
      else if (!excepted(STAR_RESOURCE_ALLOWED, action))
        found.push(at(`${action} on Resource "*" (not in the allow-list)`));
    }
  }
  for (const resource of resources) {
    if (/:kafka:[^:]*:[^:]*:(topic|group|transactional-id)\/.*\*/.test(resource))
      found.push(at(`Kafka data resource with a wildcard: ${resource}`));
  }
  return found;
}

function synthesized(context: InfraConfigInput): Record<string, unknown> {
  return synthesize(context).template.toJSON();
}

describe("IAM least privilege", () => {
  for (const context of CONFIGURATIONS) {
    it(`grants no wildcard action and no "*" on data: ${JSON.stringify(context)}`, () => {
      // Act
      const all = statements(synthesized(context));

      // Assess
      expect(all.filter((s) => s.Effect === "Allow").length).toBeGreaterThan(20);
      expect(
        all.flatMap(findings),
        "over-broad grants: scope them to the resource (see this file's header) or, if AWS can't, add a reasoned exception",
      ).toEqual([]);
    });

    it(`attaches only the allowed AWS managed policies: ${JSON.stringify(context)}`, () => {
      // Act
      const attached = managedPolicies(synthesized(context));

      // Assess
      expect(attached.length).toBeGreaterThan(0);
      const unexpected = attached.filter((p) => !(p.name in MANAGED_POLICIES_ALLOWED));
      expect(unexpected).toEqual([]);
    });
  }

  it("finds each kind of over-broad grant (the check can fail)", () => {
    // Prepare: statements a careless construct could synthesize
    const bad: Statement[] = [
      { where: "a", Effect: "Allow", Action: "*", Resource: "*" },
      { where: "b", Effect: "Allow", Action: ["s3:GetObject*"], Resource: { "Fn::GetAtt": ["B", "Arn"] } },
      {
        where: "b2",
        Effect: "Allow",
        Principal: { AWS: { "Fn::GetAtt": ["SomeOtherRole", "Arn"] } },
        Action: ["s3:DeleteObject*"],
        Resource: { "Fn::GetAtt": ["B", "Arn"] },
      },
      { where: "c", Effect: "Allow", Action: "dynamodb:GetItem", Resource: "*" },
      { where: "d", Effect: "Allow", Action: "lambda:InvokeFunction", Resource: "*" },
      { where: "e", Effect: "Allow", NotAction: "iam:*", Resource: { Ref: "X" } },
      {
        where: "f",
        Effect: "Allow",
        Action: "kafka-cluster:ReadData",
        Resource: { "Fn::Join": ["", ["arn:aws:kafka:us-east-1:1:topic/c/", { Ref: "U" }, "/*"]] },
      },
    ];
    const fine: Statement[] = [
      {
        where: "j",
        Effect: "Allow",
        Principal: {
          AWS: { "Fn::GetAtt": ["CustomS3AutoDeleteObjectsCustomResourceProviderRole3B1BD092", "Arn"] },
        },
        Action: ["s3:GetBucket*", "s3:List*", "s3:DeleteObject*"],
        Resource: { "Fn::GetAtt": ["B", "Arn"] },
      },
      { where: "g", Effect: "Deny", Action: "s3:*", Resource: "*" },
      { where: "h", Effect: "Allow", Action: "xray:PutTraceSegments", Resource: "*" },
      { where: "i", Effect: "Allow", Action: "s3:GetObject", Resource: { "Fn::Join": ["", ["<b>", "/*"]] } },
    ];

    // Act
    const found = bad.map(findings);
    const none = fine.flatMap(findings);

    // Assess
    expect(found.map((f) => f.length > 0)).toEqual([true, true, true, true, true, true, true]);
    expect(found[0]).toEqual(["a: wildcard action *", 'a: * on Resource "*" (not in the allow-list)']);
    expect(none).toEqual([]);
  });

  it("reads the policies of a whole stack, inline role policies included", () => {
    // Prepare: a template as CDK writes an inline policy
    const template = {
      Resources: {
        R: {
          Type: "AWS::IAM::Role",
          Properties: {
            Policies: [
              { PolicyName: "p", PolicyDocument: { Statement: [{ Effect: "Allow", Action: "s3:*" }] } },
            ],
            ManagedPolicyArns: ["arn:aws:iam::aws:policy/AdministratorAccess"],
          },
        },
      },
    };

    // Act
    const found = statements(template).flatMap(findings);
    const managed = managedPolicies(template);

    // Assess
    expect(found).toEqual(["R (p): wildcard action s3:*"]);
    expect(managed).toEqual([{ where: "R", name: "AdministratorAccess" }]);
  });
});
