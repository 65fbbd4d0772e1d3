/**
 * cdk-nag: the AwsSolutions and Serverless packs run at every synth (v3 API: CDK validation
 * plugins; an unacknowledged finding fails the synth). Every finding we accept is
 * acknowledged here, on the construct it concerns, with the reason — one reviewed table, so
 * a new finding (a new wildcard, a new resource type) fails until someone decides about it.
 */
import { type CfnElement, CfnResource, type Stack, Validations } from "aws-cdk-lib";
import * as cloudfront from "aws-cdk-lib/aws-cloudfront";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as ecs from "aws-cdk-lib/aws-ecs";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import * as sns from "aws-cdk-lib/aws-sns";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { AwsSolutionsChecks, ServerlessChecks } from "cdk-nag";
import { flattenCfnReference } from "cdk-nag/lib/utils/flatten-cfn-reference.js";
import type { IConstruct } from "constructs";
import type { FunctionSpec } from "./functions.ts";

export function addNagChecks(app: IConstruct): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
}

/**
 * Wildcard resources we accept, by the actions of the statement that holds them: the
 * statement's actions must all be in the list (exact actions — no action wildcards).
 */
const WILDCARD_RESOURCE_REASONS: readonly { actions: RegExp; reason: string }[] = [
  {
    actions:
      /^s3:(GetObject|GetObjectVersion|PutObject|DeleteObject\w*|List\w*|GetBucket\w*|Abort\w*|PutObjectLegalHold|PutObjectRetention|PutObjectTagging|PutObjectVersionTagging)$/,
    reason:
      "Object-level S3 actions need an object ARN (bucket/*); the statement names exact actions on one bucket",
  },
  {
    actions: /^xray:(PutTraceSegments|PutTelemetryRecords|GetSamplingRules|GetSamplingTargets)$/,
    reason: "X-Ray tracing APIs have no resource-level permissions",
  },
  {
    actions:
      /^ec2:(CreateNetworkInterface|DescribeNetworkInterfaces|DeleteNetworkInterface|AssignPrivateIpAddresses|UnassignPrivateIpAddresses|DescribeSubnets|DescribeSecurityGroups|DescribeVpcs)$/,
    reason:
      "Lambda's VPC networking manages ENIs; EC2 Describe/ENI actions have no resource-level permissions",
  },
  {
    actions:
      /^logs:(CreateLogDelivery|GetLogDelivery|UpdateLogDelivery|DeleteLogDelivery|ListLogDeliveries|PutResourcePolicy|DescribeResourcePolicies|DescribeLogGroups)$/,
    reason: "Step Functions log delivery APIs have no resource-level permissions",
  },
  {
    actions: /^kafka:GetBootstrapBrokers$/,
    reason: "MSK's broker lookup has no resource-level permissions (IAM's reference lists no resource type)",
  },
  {
    actions: /^ecr:GetAuthorizationToken$/,
    reason: "Pulling the dbt image needs an ECR auth token, which has no resource-level permissions",
  },
  {
    actions: /^lambda:InvokeFunction$/,
    reason: "Invoking any version or alias (:*) of one named pipeline function",
  },
  {
    actions:
      /^(ecs:RunTask|ecs:StopTask|ecs:DescribeTasks|iam:PassRole|events:PutTargets|events:PutRule|events:DescribeRule)$/,
    reason:
      "ecs:runTask.sync: any revision (:*) of the dbt task definition; task ARNs and the managed rule are created at run time",
  },
  {
    actions: /^states:GetExecutionHistory$/,
    reason:
      "The dashboard reads the history of any execution of the one pipeline state machine; executions are named at run time",
  },
  {
    actions: /^s3:PutBucketNotification$/,
    reason: "CDK's bucket-notifications handler configures notifications of buckets of this stack",
  },
];

/** Findings accepted on every resource of a type, with the reason. */
const BY_RESOURCE: readonly { when: (c: IConstruct) => boolean; id: string; reason: string }[] = [
  {
    when: (c) => c instanceof iam.CfnRole,
    id: "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
    reason:
      "AWS managed basic execution role: only CloudWatch Logs writes (each function has its own log group)",
  },
  {
    when: (c) => c instanceof iam.CfnRole,
    id: "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]",
    reason: "AWS managed VPC access role: the ENI permissions Lambda needs to run Kafka clients in the VPC",
  },
  {
    when: (c) => c instanceof iam.CfnRole,
    id: "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaMSKExecutionRole]",
    reason:
      "Added by ManagedKafkaEventSource: what Lambda's MSK pollers need (cluster describe, ENIs in the cluster's VPC)",
  },
  {
    when: (c) => c instanceof secretsmanager.CfnSecret,
    id: "AwsSolutions-SMG4",
    reason:
      "Warehouse credentials (a Snowflake key pair, a PostgreSQL password) are rotated by the operator as docs/DEPLOY.md describes; the local target's secret is a placeholder",
  },
  {
    when: (c) => c instanceof ecs.CfnTaskDefinition,
    id: "AwsSolutions-ECS2",
    reason:
      "Plain settings only (dbt target, bucket name); credentials are injected from Secrets Manager as secrets",
  },
];

/** Serverless-LambdaDLQ: why a function has no dead-letter queue, by how it is invoked. */
function dlqReason(spec: FunctionSpec): string {
  const kinds = new Set(spec.triggers.map((t) => t.kind));
  if (kinds.has("kafka"))
    return "Invoked synchronously by a Kafka event source mapping with its own on-failure destination";
  if (kinds.has("state-machine-task"))
    return "Invoked synchronously by Step Functions, which retries and catches failures";
  if (kinds.has("http"))
    return "Invoked synchronously through its function URL: the caller (CloudFront, the browser) gets the error";
  if (kinds.has("custom-resource"))
    return "Invoked by CloudFormation; failures are reported to the stack as FAILED";
  return "Asynchronous failures go to an on-failure destination (the failures queue), which keeps more context than a DLQ";
}

/** CloudFront findings on the dashboard's distribution, with the reason. */
const DISTRIBUTION_REASONS: Readonly<Record<string, string>> = {
  "AwsSolutions-CFR1":
    "The dashboard shows pipeline figures to its operators wherever they are; restrict countries with a WAF when needed",
  "AwsSolutions-CFR2":
    "No WAF by default (it costs per month); the API is read-only GET behind OAC-signed, IAM-authenticated function URLs",
  "AwsSolutions-CFR3":
    "Standard logs need an ACL-enabled bucket; requests to the API are logged by the dashboard-api function and S3 access logs cover the page",
  "AwsSolutions-CFR4":
    "The default *.cloudfront.net certificate cannot pin TLS 1.2; with a custom domain the distribution sets TLSv1.2_2021",
};

/** What CDK's BucketDeployment singleton (it copies the built page into the site bucket) is acknowledged for. */
const BUCKET_DEPLOYMENT_REASON =
  "CDK's own BucketDeployment handler, invoked by CloudFormation at deploy time: CDK sets its runtime, policy (asset and site buckets, CloudFront invalidation) and error handling";

export function acknowledgeFindings(stack: Stack, specs: readonly FunctionSpec[]): void {
  const byName = new Map(specs.map((s) => [s.name, s]));
  for (const construct of stack.node.findAll()) {
    if (construct instanceof cloudfront.CfnDistribution) {
      for (const [id, reason] of Object.entries(DISTRIBUTION_REASONS)) ack(construct, id, reason);
    }
    if (construct.node.path.includes("/Custom::CDKBucketDeployment"))
      acknowledgeBucketDeployment(stack, construct);
    for (const rule of BY_RESOURCE) if (rule.when(construct)) ack(construct, rule.id, rule.reason);
    if (construct instanceof iam.CfnPolicy) acknowledgeWildcardResources(stack, construct);
    if (construct instanceof ec2.CfnSecurityGroup && ingressFromVpcCidrOnly(stack, construct)) {
      ack(
        construct,
        "AwsSolutions-EC23",
        "Ingress only from the VPC's own CIDR block, a token the rule cannot evaluate at synth",
      );
    }
    if (construct instanceof lambda.CfnFunction) {
      const name = pipelineFunctionName(stack, construct);
      const spec = name ? byName.get(name) : undefined;
      if (spec) ack(construct, "Serverless-LambdaDLQ", dlqReason(spec));
    }
    if (construct instanceof lambda.CfnEventSourceMapping && isSqsMapping(stack, construct)) {
      ack(
        construct,
        "Serverless-LambdaEventSourceMappingDestination",
        "SQS sources send failed messages to the queue's redrive dead-letter queue, not an ESM destination",
      );
    }
    if (construct instanceof sqs.CfnQueue && isDeadLetterQueue(stack, construct)) {
      const reason =
        "This queue is itself a dead-letter / on-failure queue; it has nowhere further to redrive";
      ack(construct, "AwsSolutions-SQS3", reason);
      ack(construct, "Serverless-SQSRedrivePolicy", reason);
    }
  }
}

/** Acknowledges one finding on the CloudFormation resource of a construct. */
export function ack(construct: IConstruct, id: string, reason: string): void {
  Validations.of(construct).acknowledge({ id, reason });
}

function acknowledgeBucketDeployment(stack: Stack, construct: IConstruct): void {
  if (construct instanceof lambda.CfnFunction) {
    for (const id of [
      "AwsSolutions-L1",
      "Serverless-LambdaDLQ",
      "Serverless-LambdaLatestVersion",
      "Serverless-LambdaTracing",
    ])
      ack(construct, id, BUCKET_DEPLOYMENT_REASON);
  }
  if (!(construct instanceof iam.CfnPolicy)) return;
  const document = stack.resolve(construct.policyDocument) as { Statement?: Record<string, unknown>[] };
  for (const statement of document.Statement ?? []) {
    for (const action of asArray(statement.Action).map(String)) {
      if (action.includes("*"))
        ack(construct, `AwsSolutions-IAM5[Action::${action}]`, BUCKET_DEPLOYMENT_REASON);
    }
    for (const resource of asArray(statement.Resource).map((r) => flattenCfnReference(r))) {
      if (resource.includes("*"))
        ack(construct, `AwsSolutions-IAM5[Resource::${resource}]`, BUCKET_DEPLOYMENT_REASON);
    }
  }
}

function acknowledgeWildcardResources(stack: Stack, policy: iam.CfnPolicy): void {
  const document = stack.resolve(policy.policyDocument) as { Statement?: Record<string, unknown>[] };
  for (const statement of document.Statement ?? []) {
    if (statement.Effect !== "Allow") continue;
    const actions = asArray(statement.Action).map(String);
    const rule = WILDCARD_RESOURCE_REASONS.find((r) => actions.every((a) => r.actions.test(a)));
    if (!rule) continue;
    for (const resource of asArray(statement.Resource).map((r) => flattenCfnReference(r))) {
      if (resource.includes("*")) ack(policy, `AwsSolutions-IAM5[Resource::${resource}]`, rule.reason);
    }
  }
}

function ingressFromVpcCidrOnly(stack: Stack, group: ec2.CfnSecurityGroup): boolean {
  const rules = asArray(stack.resolve(group.securityGroupIngress));
  return (
    rules.length > 0 &&
    rules.every((r) => JSON.stringify((r as { cidrIp?: unknown }).cidrIp ?? "").includes("CidrBlock"))
  );
}

function pipelineFunctionName(stack: Stack, fn: lambda.CfnFunction): string | undefined {
  const env = stack.resolve(fn.environment) as { variables?: Record<string, unknown> } | undefined;
  const name = env?.variables?.PIPELINE_FUNCTION;
  return typeof name === "string" ? name : undefined;
}

function isSqsMapping(stack: Stack, mapping: lambda.CfnEventSourceMapping): boolean {
  const arn = JSON.stringify(stack.resolve(mapping.eventSourceArn) ?? "");
  return stack.node.findAll().some((c) => c instanceof sqs.CfnQueue && arn.includes(logicalId(stack, c)));
}

/** A queue some other queue, function or event source mapping names as its failure target. */
function isDeadLetterQueue(stack: Stack, queue: sqs.CfnQueue): boolean {
  const id = logicalId(stack, queue);
  return stack.node.findAll().some((c) => {
    if (c instanceof sqs.CfnQueue) return JSON.stringify(stack.resolve(c.redrivePolicy) ?? "").includes(id);
    if (c instanceof lambda.CfnEventSourceMapping) {
      return JSON.stringify(stack.resolve(c.destinationConfig) ?? "").includes(id);
    }
    if (c instanceof lambda.CfnEventInvokeConfig) {
      return JSON.stringify(stack.resolve(c.destinationConfig) ?? "").includes(id);
    }
    if (c instanceof sns.CfnSubscription)
      return JSON.stringify(stack.resolve(c.redrivePolicy) ?? "").includes(id);
    if (CfnResource.isCfnResource(c) && c.cfnResourceType === "AWS::Scheduler::Schedule") {
      return JSON.stringify(stack.resolve((c as CfnResource & { target?: unknown }).target) ?? "").includes(
        id,
      );
    }
    return false;
  });
}

function logicalId(stack: Stack, element: CfnElement): string {
  return stack.resolve(element.logicalId) as string;
}

function asArray(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}
