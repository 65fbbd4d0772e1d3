/**
 * Resolves CloudFormation intrinsic functions the way the local deployment would:
 * physical names come from the resource's own name property when the template sets one,
 * otherwise from the logical id (lower-cased for buckets, which must be DNS names).
 * Only what CDK emits for our resources is supported; anything else fails loudly.
 */
import { LOCAL_ACCOUNT, localEndpoints } from "../../core/config/index.ts";
import { PipelineError } from "../../core/errors.ts";
import type { Template } from "./assembly.ts";

export interface ResolveContext {
  readonly template: Template;
  readonly region: string;
  readonly stackName: string;
}

const NAME_PROPERTY: Record<string, string> = {
  "AWS::S3::Bucket": "BucketName",
  "AWS::Lambda::Function": "FunctionName",
  "AWS::SQS::Queue": "QueueName",
  "AWS::SNS::Topic": "TopicName",
  "AWS::DynamoDB::Table": "TableName",
  "AWS::StepFunctions::StateMachine": "StateMachineName",
  "AWS::SecretsManager::Secret": "Name",
  "AWS::ECS::Cluster": "ClusterName",
  "AWS::ECS::TaskDefinition": "Family",
  "AWS::Logs::LogGroup": "LogGroupName",
};

/** The physical name a resource has locally. */
export function physicalName(ctx: ResolveContext, logicalId: string): string {
  const resource = ctx.template.Resources[logicalId];
  if (!resource) throw new IntrinsicError(`unknown resource ${logicalId}`);
  const nameProperty = NAME_PROPERTY[resource.Type];
  const declared = nameProperty ? resource.Properties?.[nameProperty] : undefined;
  if (declared !== undefined) return String(resolve(ctx, declared));
  return resource.Type === "AWS::S3::Bucket" ? logicalId.toLowerCase() : logicalId;
}

/** The ARN a resource has locally (same shapes as AWS, account 000000000000). */
export function arnOf(ctx: ResolveContext, logicalId: string): string {
  const resource = ctx.template.Resources[logicalId];
  if (!resource) throw new IntrinsicError(`unknown resource ${logicalId}`);
  const name = physicalName(ctx, logicalId);
  const { region } = ctx;
  switch (resource.Type) {
    case "AWS::S3::Bucket":
      return `arn:aws:s3:::${name}`;
    case "AWS::Lambda::Function":
      return `arn:aws:lambda:${region}:${LOCAL_ACCOUNT}:function:${name}`;
    case "AWS::SQS::Queue":
      return `arn:aws:sqs:${region}:${LOCAL_ACCOUNT}:${name}`;
    case "AWS::SNS::Topic":
      return `arn:aws:sns:${region}:${LOCAL_ACCOUNT}:${name}`;
    case "AWS::DynamoDB::Table":
      return `arn:aws:dynamodb:${region}:${LOCAL_ACCOUNT}:table/${name}`;
    case "AWS::StepFunctions::StateMachine":
      return `arn:aws:states:${region}:${LOCAL_ACCOUNT}:stateMachine:${name}`;
    case "AWS::SecretsManager::Secret":
      return `arn:aws:secretsmanager:${region}:${LOCAL_ACCOUNT}:secret:${name}`;
    case "AWS::ECS::Cluster":
      return `arn:aws:ecs:${region}:${LOCAL_ACCOUNT}:cluster/${name}`;
    case "AWS::ECS::TaskDefinition":
      return `arn:aws:ecs:${region}:${LOCAL_ACCOUNT}:task-definition/${name}:1`;
    case "AWS::IAM::Role":
      return `arn:aws:iam::${LOCAL_ACCOUNT}:role/${name}`;
    case "AWS::Logs::LogGroup":
      return `arn:aws:logs:${region}:${LOCAL_ACCOUNT}:log-group:${name}:*`;
    default:
      return `arn:aws:local:${region}:${LOCAL_ACCOUNT}:${resource.Type}/${name}`;
  }
}

function getAtt(ctx: ResolveContext, logicalId: string, attribute: string): string {
  const resource = ctx.template.Resources[logicalId];
  if (!resource) throw new IntrinsicError(`Fn::GetAtt of unknown resource ${logicalId}`);
  if (attribute === "Arn") return arnOf(ctx, logicalId);
  const name = physicalName(ctx, logicalId);
  switch (attribute) {
    case "QueueName":
    case "TopicName":
    case "Name":
      return name;
    case "QueueUrl":
      return `${localEndpoints().awsEndpoint}/${LOCAL_ACCOUNT}/${name}`;
    case "DomainName":
    case "RegionalDomainName":
      return `${name}.s3.${ctx.region}.amazonaws.com`;
    default:
      return `${name}.${attribute}`;
  }
}

function ref(ctx: ResolveContext, target: string): string {
  switch (target) {
    case "AWS::Region":
      return ctx.region;
    case "AWS::AccountId":
      return LOCAL_ACCOUNT;
    case "AWS::Partition":
      return "aws";
    case "AWS::URLSuffix":
      return "amazonaws.com";
    case "AWS::StackName":
      return ctx.stackName;
    case "AWS::NoValue":
      return "";
  }
  const parameter = ctx.template.Parameters?.[target];
  if (parameter) return String(parameter.Default ?? "");
  const resource = ctx.template.Resources[target];
  if (!resource) throw new IntrinsicError(`Ref to unknown ${target}`);
  // Ref returns the ARN for a few types and the name for the rest, as CloudFormation does.
  if (
    [
      "AWS::SNS::Topic",
      "AWS::StepFunctions::StateMachine",
      "AWS::SecretsManager::Secret",
      "AWS::ECS::TaskDefinition",
    ].includes(resource.Type)
  ) {
    return arnOf(ctx, target);
  }
  if (resource.Type === "AWS::SQS::Queue") return getAtt(ctx, target, "QueueUrl");
  return physicalName(ctx, target);
}

/** Replaces every intrinsic in `value` by its local value. */
export function resolve(ctx: ResolveContext, value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => resolve(ctx, v));
  if (value === null || typeof value !== "object") return value;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 1) {
    const [fn, arg] = entries[0] as [string, unknown];
    switch (fn) {
      case "Ref":
        return ref(ctx, String(arg));
      case "Fn::GetAtt": {
        const [id, attribute] = Array.isArray(arg) ? arg : String(arg).split(".");
        return getAtt(ctx, String(id), String(attribute));
      }
      case "Fn::Join": {
        const [separator, parts] = arg as [string, unknown[]];
        return (resolve(ctx, parts) as unknown[]).join(separator);
      }
      case "Fn::Sub":
        return sub(ctx, arg);
      case "Fn::Select": {
        const [index, list] = arg as [number | string, unknown];
        return (resolve(ctx, list) as unknown[])[Number(index)];
      }
      case "Fn::Split": {
        const [separator, source] = arg as [string, unknown];
        return String(resolve(ctx, source)).split(separator);
      }
      case "Fn::GetAZs":
        return [`${ctx.region}a`, `${ctx.region}b`];
      case "Fn::If":
      case "Fn::ImportValue":
      case "Fn::FindInMap":
        throw new IntrinsicError(`${fn} is not supported by the local runtime`);
    }
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, resolve(ctx, v)]));
}

function sub(ctx: ResolveContext, arg: unknown): string {
  const [text, variables] = Array.isArray(arg)
    ? (arg as [string, Record<string, unknown>])
    : [String(arg), {}];
  return text.replace(/\$\{([^}!][^}]*)\}/g, (_, name: string) => {
    if (name in variables) return String(resolve(ctx, variables[name]));
    if (name.includes(".")) {
      const [id, attribute] = name.split(".");
      return getAtt(ctx, String(id), String(attribute));
    }
    return ref(ctx, name);
  });
}

export class IntrinsicError extends PipelineError {}
