/**
 * Every IAM policy a synthesized template declares, resolved to local ARNs: each role's
 * identity policies (inline, attached `AWS::IAM::Policy`/`ManagedPolicy`, AWS managed ARNs)
 * and trust policy, and the resource policies of buckets, queues, topics, secrets, tables
 * and functions (each `AWS::Lambda::Permission` becomes a statement of the function's policy,
 * as Lambda's AddPermission does). Reads the local and the AWS target alike.
 */

import { LOCAL_ACCOUNT } from "../../../core/config/index.ts";
import { PipelineError } from "../../../core/errors.ts";
import { resourcesOfType, type Template } from "../assembly.ts";
import { arnOf, physicalName, type ResolveContext, resolve } from "../intrinsics.ts";
import { managedPolicyDocument } from "./managed-policies.ts";
import type { PolicyDocument, PolicyStatement } from "./types.ts";

export interface NamedPolicy {
  /** The policy's name (inline or `AWS::IAM::Policy`) or its ARN (managed). */
  readonly name: string;
  readonly document: PolicyDocument;
}

export interface RolePolicies {
  readonly logicalId: string;
  /** The physical name (`assumed-role/<name>/<session>`; Kafka's `User:<name>`). */
  readonly roleName: string;
  readonly roleArn: string;
  readonly trustPolicy: PolicyDocument;
  readonly identityPolicies: readonly NamedPolicy[];
}

export interface TemplatePolicies {
  /** By role ARN. */
  readonly roles: ReadonlyMap<string, RolePolicies>;
  /** By the ARN of the resource that carries the policy (bucket, queue, topic, secret, table, function). */
  readonly resourcePolicies: ReadonlyMap<string, PolicyDocument>;
}

export interface ReadPoliciesOptions {
  /** @default process.env.AWS_REGION ?? "us-east-1" */
  readonly region?: string;
  /** @default "local" */
  readonly stackName?: string;
}

export function resolveContext(template: Template, options: ReadPoliciesOptions = {}): ResolveContext {
  return {
    template,
    region: options.region ?? process.env.AWS_REGION ?? "us-east-1",
    stackName: options.stackName ?? "local",
  };
}

export function readPolicies(template: Template, options: ReadPoliciesOptions = {}): TemplatePolicies {
  const ctx = resolveContext(template, options);
  const identity = new Map<string, NamedPolicy[]>();
  const attach = (roleRefs: unknown, policy: NamedPolicy) => {
    for (const ref of (roleRefs as unknown[] | undefined) ?? []) {
      const roleId = refTarget(ref);
      const key = roleId && template.Resources[roleId] ? roleId : String(resolve(ctx, ref));
      identity.set(key, [...(identity.get(key) ?? []), policy]);
    }
  };

  for (const [id, resource] of [
    ...resourcesOfType(template, "AWS::IAM::Policy"),
    ...resourcesOfType(template, "AWS::IAM::ManagedPolicy"),
  ]) {
    const p = resource.Properties ?? {};
    const name = String(p.PolicyName ?? p.ManagedPolicyName ?? id);
    attach(p.Roles, { name, document: document(ctx, p.PolicyDocument, `${id}'s PolicyDocument`) });
  }

  const roles = new Map<string, RolePolicies>();
  for (const [id, resource] of resourcesOfType(template, "AWS::IAM::Role")) {
    const p = resource.Properties ?? {};
    const roleName = physicalName(ctx, id);
    const inline = ((p.Policies as Array<Record<string, unknown>> | undefined) ?? []).map((policy) => ({
      name: String(resolve(ctx, policy.PolicyName)),
      document: document(ctx, policy.PolicyDocument, `${id}'s inline policy`),
    }));
    const managed = ((p.ManagedPolicyArns as unknown[] | undefined) ?? []).map((ref) => {
      const target = refTarget(ref);
      const arn = String(resolve(ctx, ref));
      if (target && template.Resources[target]?.Type === "AWS::IAM::ManagedPolicy") {
        const mp = template.Resources[target]?.Properties ?? {};
        return { name: arn, document: document(ctx, mp.PolicyDocument, `${target}'s PolicyDocument`) };
      }
      return { name: arn, document: managedPolicyDocument(arn) };
    });
    const roleArn = arnOf(ctx, id);
    roles.set(roleArn, {
      logicalId: id,
      roleName,
      roleArn,
      trustPolicy: document(ctx, p.AssumeRolePolicyDocument, `${id}'s AssumeRolePolicyDocument`),
      identityPolicies: [
        ...inline,
        ...managed,
        ...(identity.get(id) ?? []),
        ...(identity.get(roleName) ?? []),
      ],
    });
  }

  return { roles, resourcePolicies: readResourcePolicies(ctx) };
}

function readResourcePolicies(ctx: ResolveContext): Map<string, PolicyDocument> {
  const { template } = ctx;
  const policies = new Map<string, PolicyStatement[]>();
  const add = (arn: string, statements: readonly PolicyStatement[]) =>
    policies.set(arn, [...(policies.get(arn) ?? []), ...statements]);
  const targetArn = (ref: unknown, type: string): string => {
    const id = refTarget(ref);
    if (id && template.Resources[id]?.Type === type) return arnOf(ctx, id);
    return String(resolve(ctx, ref));
  };

  for (const [id, r] of resourcesOfType(template, "AWS::S3::BucketPolicy")) {
    const bucket = targetArn(r.Properties?.Bucket, "AWS::S3::Bucket");
    const arn = bucket.startsWith("arn:") ? bucket : `arn:aws:s3:::${bucket}`;
    add(arn, document(ctx, r.Properties?.PolicyDocument, `${id}'s PolicyDocument`).Statement);
  }
  for (const [id, r] of resourcesOfType(template, "AWS::SQS::QueuePolicy")) {
    const statements = document(ctx, r.Properties?.PolicyDocument, `${id}'s PolicyDocument`).Statement;
    for (const queue of (r.Properties?.Queues as unknown[] | undefined) ?? []) {
      const queueId = refTarget(queue);
      const arn = queueId ? arnOf(ctx, queueId) : queueArnFromUrl(ctx, String(resolve(ctx, queue)));
      add(arn, statements);
    }
  }
  for (const [id, r] of resourcesOfType(template, "AWS::SNS::TopicPolicy")) {
    const statements = document(ctx, r.Properties?.PolicyDocument, `${id}'s PolicyDocument`).Statement;
    for (const topic of (r.Properties?.Topics as unknown[] | undefined) ?? []) {
      add(targetArn(topic, "AWS::SNS::Topic"), statements);
    }
  }
  for (const [id, r] of resourcesOfType(template, "AWS::SecretsManager::ResourcePolicy")) {
    add(
      targetArn(r.Properties?.SecretId, "AWS::SecretsManager::Secret"),
      document(ctx, r.Properties?.ResourcePolicy, `${id}'s ResourcePolicy`).Statement,
    );
  }
  for (const [id, r] of resourcesOfType(template, "AWS::DynamoDB::Table")) {
    const policy = (r.Properties?.ResourcePolicy as { PolicyDocument?: unknown } | undefined)?.PolicyDocument;
    if (policy) add(arnOf(ctx, id), document(ctx, policy, `${id}'s ResourcePolicy`).Statement);
  }
  for (const [id, r] of resourcesOfType(template, "AWS::Lambda::Permission")) {
    const functionArn = permissionFunctionArn(ctx, r.Properties?.FunctionName);
    add(functionArn, [permissionStatement(ctx, id, r.Properties ?? {}, functionArn)]);
  }
  return new Map([...policies].map(([arn, Statement]) => [arn, { Version: "2012-10-17", Statement }]));
}

/**
 * The statement Lambda's AddPermission writes for a permission: the principal (a service, an
 * account or a role ARN), the action on the function, `aws:SourceArn`/`aws:SourceAccount`
 * conditions, and for function URLs the `lambda:FunctionUrlAuthType` condition.
 */
function permissionStatement(
  ctx: ResolveContext,
  id: string,
  p: Record<string, unknown>,
  functionArn: string,
): PolicyStatement {
  const principal = String(resolve(ctx, p.Principal));
  const condition: Record<string, Record<string, string>> = {};
  if (p.SourceArn !== undefined) condition.ArnLike = { "AWS:SourceArn": String(resolve(ctx, p.SourceArn)) };
  if (p.SourceAccount !== undefined) {
    condition.StringEquals = { "AWS:SourceAccount": String(resolve(ctx, p.SourceAccount)) };
  }
  if (p.FunctionUrlAuthType !== undefined) {
    condition.StringEquals = {
      ...condition.StringEquals,
      "lambda:FunctionUrlAuthType": String(resolve(ctx, p.FunctionUrlAuthType)),
    };
  }
  if (p.PrincipalOrgID !== undefined) {
    condition.StringEquals = {
      ...condition.StringEquals,
      "aws:PrincipalOrgID": String(resolve(ctx, p.PrincipalOrgID)),
    };
  }
  const principalElement =
    principal === "*"
      ? "*"
      : /^\d{12}$/.test(principal) || principal.startsWith("arn:")
        ? { AWS: principal }
        : { Service: principal };
  return {
    Sid: id,
    Effect: "Allow",
    Principal: principalElement,
    Action: String(resolve(ctx, p.Action)),
    Resource: functionArn,
    ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}),
  };
}

/** A permission's FunctionName: a function, its ARN, or a function URL's `FunctionArn`. */
function permissionFunctionArn(ctx: ResolveContext, ref: unknown): string {
  const getAtt = (ref as { "Fn::GetAtt"?: [string, string] } | undefined)?.["Fn::GetAtt"];
  const target = getAtt ? ctx.template.Resources[getAtt[0]] : undefined;
  if (getAtt && target?.Type === "AWS::Lambda::Url") {
    return permissionFunctionArn(ctx, target.Properties?.TargetFunctionArn);
  }
  const id = refTarget(ref);
  if (id && ctx.template.Resources[id]?.Type === "AWS::Lambda::Function") return arnOf(ctx, id);
  const value = String(resolve(ctx, ref));
  if (value.startsWith("arn:")) return value.replace(/^(arn:[^:]+:lambda:[^:]+:\d+:function:[^:]+).*$/, "$1");
  return `arn:aws:lambda:${ctx.region}:${LOCAL_ACCOUNT}:function:${value}`;
}

function queueArnFromUrl(ctx: ResolveContext, url: string): string {
  const name = url.split("/").pop() ?? url;
  return `arn:aws:sqs:${ctx.region}:${LOCAL_ACCOUNT}:${name}`;
}

/** The logical id a `Ref` or `Fn::GetAtt` points at. */
function refTarget(value: unknown): string | undefined {
  if (value === null || typeof value !== "object") return undefined;
  const v = value as { Ref?: unknown; "Fn::GetAtt"?: unknown };
  if (typeof v.Ref === "string") return v.Ref;
  const getAtt = v["Fn::GetAtt"];
  if (Array.isArray(getAtt)) return String(getAtt[0]);
  if (typeof getAtt === "string") return getAtt.split(".")[0];
  return undefined;
}

function document(ctx: ResolveContext, raw: unknown, what: string): PolicyDocument {
  const resolved = resolve(ctx, raw) as { Version?: string; Statement?: unknown } | undefined;
  if (!resolved || typeof resolved !== "object" || resolved.Statement === undefined) {
    throw new PolicyReadError(`${what} is not an IAM policy document`);
  }
  const statements = Array.isArray(resolved.Statement) ? resolved.Statement : [resolved.Statement];
  return { Version: resolved.Version ?? "2012-10-17", Statement: statements as PolicyStatement[] };
}

export class PolicyReadError extends PipelineError {}
