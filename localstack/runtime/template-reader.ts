/**
 * Turns a synthesized stack into what the local runtime executes: functions, Kafka and SQS
 * event source mappings, S3 notifications, schedules, state machines and the resources the
 * emulator holds. Everything comes from the template; nothing about our stack is hard-coded
 * beyond the `PIPELINE_FUNCTION` variable that names each function's handler module.
 */
import { join } from "node:path";
import { LOCAL_ACCOUNT } from "../../core/config/index.ts";
import { resourcesOfType, type StackArtifact } from "./assembly.ts";
import { ASYNC_INVOKE_DEFAULTS, type AsyncInvokeConfig } from "./functions/async-invoke.ts";
import { arnOf, physicalName, type ResolveContext, resolve } from "./intrinsics.ts";

export interface FunctionSpec {
  readonly logicalId: string;
  readonly functionName: string;
  /** The `lambdas/<name>` folder name. */
  readonly pipelineFunction: string;
  readonly modulePath: string;
  readonly handlerName: string;
  readonly environment: Record<string, string>;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  /** `ReservedConcurrentExecutions`, when the template sets it. */
  readonly reservedConcurrency: number | undefined;
  /** The function's ARN and its execution role's ARN (what it acts as offline too). */
  readonly functionArn: string;
  readonly roleArn: string;
  /** How Lambda handles its asynchronous invocations (EventInvokeConfig, DeadLetterConfig; AWS's defaults). */
  readonly asyncInvoke: AsyncInvokeConfig;
  /**
   * Where Lambda writes its logs: `LoggingConfig.LogGroup`, else `/aws/lambda/<function name>`;
   * `declared` when the template creates that group (else Lambda creates it on first use).
   */
  readonly logGroup: { readonly name: string; readonly declared: boolean };
}

export interface KafkaMappingDefinition {
  readonly id: string;
  readonly functionName: string;
  readonly topics: string[];
  readonly brokers: string[] | undefined;
  /** An MSK mapping's cluster (brokers then come from GetBootstrapBrokers). */
  readonly clusterArn: string | undefined;
  readonly groupId: string;
  readonly batchSize: number;
  readonly batchingWindowMs: number;
  readonly startingPosition: "TRIM_HORIZON" | "LATEST";
  readonly maxRetryAttempts: number;
  readonly onFailureArn: string | undefined;
  readonly enabled: boolean;
}

export interface QueueMappingDefinition {
  readonly id: string;
  readonly functionName: string;
  readonly queueArn: string;
  readonly batchSize: number;
  readonly batchingWindowMs: number;
  readonly reportBatchItemFailures: boolean;
  /** `ScalingConfig.MaximumConcurrency`: at most this many of the mapping's batches at once. */
  readonly maximumConcurrency: number | undefined;
}

export interface BucketNotification {
  readonly bucket: string;
  readonly events: string[];
  readonly prefix: string;
  readonly suffix: string;
  /** Exactly one of these is the target. */
  readonly functionArn?: string;
  readonly queueArn?: string;
}

export interface ScheduleDefinition {
  readonly id: string;
  readonly expression: string;
  readonly targetArn: string;
  readonly input: unknown;
  readonly enabled: boolean;
  /** ScheduleExpressionTimezone (IANA; AWS's default is UTC), StartDate/EndDate (ISO 8601), FlexibleTimeWindow. */
  readonly timezone?: string;
  readonly startDate?: string;
  readonly endDate?: string;
  readonly flexibleTimeWindow?: {
    readonly mode: "OFF" | "FLEXIBLE";
    readonly maximumWindowInMinutes?: number;
  };
  /** The role EventBridge Scheduler assumes to call the target (and to send to its dead-letter queue). */
  readonly roleArn: string;
  /** arn:aws:scheduler:<region>:<account>:schedule/<group>/<name> (what the dead-letter event names). */
  readonly arn: string;
  /** Target.RetryPolicy, EventBridge Scheduler's defaults (185 retries, 24 h) filled in. */
  readonly retryPolicy: { readonly maximumRetryAttempts: number; readonly maximumEventAgeSeconds: number };
  /** Target.DeadLetterConfig.Arn: the SQS queue of what Scheduler could not deliver. */
  readonly deadLetterArn?: string;
}

/** EventBridge Scheduler's RetryPolicy when the target leaves it out (Scheduler API reference, RetryPolicy). */
export const SCHEDULE_RETRY_DEFAULTS = { maximumRetryAttempts: 185, maximumEventAgeSeconds: 86_400 } as const;

export interface StateMachineDefinition {
  readonly id: string;
  readonly name: string;
  readonly arn: string;
  readonly definition: Record<string, unknown>;
  /** The role Step Functions assumes to run the tasks. */
  readonly roleArn: string;
}

export interface EmulatedResource {
  readonly type: "bucket" | "queue" | "table" | "secret" | "topic";
  readonly name: string;
  readonly properties: Record<string, unknown>;
}

export interface LocalStack {
  readonly stackName: string;
  readonly functions: FunctionSpec[];
  readonly kafkaMappings: KafkaMappingDefinition[];
  readonly queueMappings: QueueMappingDefinition[];
  readonly notifications: BucketNotification[];
  readonly schedules: ScheduleDefinition[];
  readonly stateMachines: StateMachineDefinition[];
  readonly resources: EmulatedResource[];
  readonly context: ResolveContext;
}

/** One resource as a reader gets it: its logical id and its properties, intrinsics resolved. */
interface Resource {
  readonly id: string;
  readonly p: Record<string, unknown>;
  readonly ctx: ResolveContext;
  readonly repoRoot: string;
}

/** What the runtime reads of each resource type, one small reader each (the table in readStack). */
export function readStack(stack: StackArtifact, repoRoot: string, region: string): LocalStack {
  const ctx: ResolveContext = { template: stack.template, region, stackName: stack.stackName };
  const each = <T>(type: string, read: (resource: Resource) => T | readonly T[] | undefined): T[] =>
    resourcesOfType(stack.template, type).flatMap(([id]) => {
      const p = (resolve(ctx, stack.template.Resources[id]?.Properties ?? {}) ?? {}) as Record<
        string,
        unknown
      >;
      return read({ id, p, ctx, repoRoot }) ?? [];
    });
  const invokeConfigs = each("AWS::Lambda::EventInvokeConfig", readEventInvokeConfig);
  return {
    stackName: stack.stackName,
    functions: each("AWS::Lambda::Function", readFunction).map((f) => withAsyncInvoke(f, invokeConfigs)),
    kafkaMappings: each("AWS::Lambda::EventSourceMapping", readKafkaMapping),
    queueMappings: each("AWS::Lambda::EventSourceMapping", readQueueMapping),
    notifications: each("Custom::S3BucketNotifications", readNotifications),
    schedules: each("AWS::Scheduler::Schedule", readSchedule),
    stateMachines: each("AWS::StepFunctions::StateMachine", readStateMachine),
    resources: Object.entries(EMULATED).flatMap(([type, kind]) =>
      each(
        type,
        ({ id, p }): EmulatedResource => ({ type: kind, name: physicalName(ctx, id), properties: p }),
      ),
    ),
    context: ctx,
  };
}

/** The resources the emulator holds, by CloudFormation type. */
const EMULATED: Record<string, EmulatedResource["type"]> = {
  "AWS::S3::Bucket": "bucket",
  "AWS::SQS::Queue": "queue",
  "AWS::DynamoDB::Table": "table",
  "AWS::SecretsManager::Secret": "secret",
  "AWS::SNS::Topic": "topic",
};

function readFunction({ id, p, ctx, repoRoot }: Resource): FunctionSpec | undefined {
  const environment = ((p.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ??
    {}) as Record<string, unknown>;
  const pipelineFunction = environment.PIPELINE_FUNCTION;
  // Functions CDK adds for itself (custom resource providers…) have no handler module of ours.
  if (typeof pipelineFunction !== "string") return undefined;
  const handler = String(p.Handler ?? "index.handler");
  const functionName = physicalName(ctx, id);
  const configured = (p.LoggingConfig as { LogGroup?: unknown } | undefined)?.LogGroup;
  const logGroup = typeof configured === "string" ? configured : `/aws/lambda/${functionName}`;
  return {
    logicalId: id,
    functionName,
    pipelineFunction,
    modulePath: join(repoRoot, "lambdas", pipelineFunction, "index.ts"),
    handlerName: handler.slice(handler.lastIndexOf(".") + 1),
    environment: Object.fromEntries(Object.entries(environment).map(([k, v]) => [k, String(v)])),
    timeoutSeconds: Number(p.Timeout ?? 3),
    memoryMb: Number(p.MemorySize ?? 128),
    reservedConcurrency:
      p.ReservedConcurrentExecutions === undefined ? undefined : Number(p.ReservedConcurrentExecutions),
    functionArn: arnOf(ctx, id),
    roleArn: String(p.Role),
    asyncInvoke: {
      ...ASYNC_INVOKE_DEFAULTS,
      deadLetterArn: (p.DeadLetterConfig as { TargetArn?: string } | undefined)?.TargetArn,
    },
    logGroup: {
      name: logGroup,
      declared: resourcesOfType(ctx.template, "AWS::Logs::LogGroup").some(
        ([groupId]) => physicalName(ctx, groupId) === logGroup,
      ),
    },
  };
}

interface EventInvokeConfig {
  readonly id: string;
  readonly functionName: string;
  readonly qualifier: string;
  readonly maxRetryAttempts?: number;
  readonly maxEventAgeSeconds?: number;
  readonly onFailureArn?: string;
  readonly onSuccessArn?: string;
}

/** AWS::Lambda::EventInvokeConfig: a function's (qualifier's) asynchronous invocation settings. */
function readEventInvokeConfig({ id, p }: Resource): EventInvokeConfig {
  const destinations = p.DestinationConfig as
    | { OnFailure?: { Destination?: string }; OnSuccess?: { Destination?: string } }
    | undefined;
  return {
    id,
    functionName: lastArnPart(String(p.FunctionName)),
    qualifier: String(p.Qualifier ?? "$LATEST"),
    maxRetryAttempts: p.MaximumRetryAttempts === undefined ? undefined : Number(p.MaximumRetryAttempts),
    maxEventAgeSeconds:
      p.MaximumEventAgeInSeconds === undefined ? undefined : Number(p.MaximumEventAgeInSeconds),
    onFailureArn: destinations?.OnFailure?.Destination,
    onSuccessArn: destinations?.OnSuccess?.Destination,
  };
}

/** The function's $LATEST EventInvokeConfig over AWS's defaults (S3 invokes the unqualified function). */
function withAsyncInvoke(fn: FunctionSpec, configs: readonly EventInvokeConfig[]): FunctionSpec {
  const config = configs.find((c) => c.functionName === fn.functionName && c.qualifier === "$LATEST");
  if (!config) return fn;
  return {
    ...fn,
    asyncInvoke: {
      ...fn.asyncInvoke,
      maxRetryAttempts: config.maxRetryAttempts ?? ASYNC_INVOKE_DEFAULTS.maxRetryAttempts,
      maxEventAgeSeconds: config.maxEventAgeSeconds ?? ASYNC_INVOKE_DEFAULTS.maxEventAgeSeconds,
      onFailureArn: config.onFailureArn,
      onSuccessArn: config.onSuccessArn,
    },
  };
}

/** An event source mapping with `Topics` (MSK or self-managed Kafka). */
function readKafkaMapping({ id, p }: Resource): KafkaMappingDefinition | undefined {
  if (!Array.isArray(p.Topics)) return undefined;
  const sourceArn = typeof p.EventSourceArn === "string" ? p.EventSourceArn : "";
  const selfManaged = p.SelfManagedEventSource as
    | { Endpoints?: { KafkaBootstrapServers?: string[] } }
    | undefined;
  const groupConfig = (p.SelfManagedKafkaEventSourceConfig ?? p.AmazonManagedKafkaEventSourceConfig) as
    | { ConsumerGroupId?: string }
    | undefined;
  const destination = (p.DestinationConfig as { OnFailure?: { Destination?: string } } | undefined)?.OnFailure
    ?.Destination;
  return {
    id,
    functionName: lastArnPart(String(p.FunctionName)),
    topics: p.Topics.map(String),
    brokers: selfManaged?.Endpoints?.KafkaBootstrapServers,
    clusterArn: sourceArn.startsWith("arn:aws:kafka:") ? sourceArn : undefined,
    groupId: groupConfig?.ConsumerGroupId ?? `lambda-${id}`,
    batchSize: Number(p.BatchSize ?? 100),
    // Kafka mappings default to a 500 ms window.
    batchingWindowMs:
      p.MaximumBatchingWindowInSeconds === undefined ? 500 : Number(p.MaximumBatchingWindowInSeconds) * 1000,
    startingPosition: p.StartingPosition === "LATEST" ? "LATEST" : "TRIM_HORIZON",
    maxRetryAttempts: p.MaximumRetryAttempts === undefined ? -1 : Number(p.MaximumRetryAttempts),
    onFailureArn: destination,
    enabled: p.Enabled !== false,
  };
}

/** An event source mapping on an SQS queue. */
function readQueueMapping({ id, p }: Resource): QueueMappingDefinition | undefined {
  const sourceArn = typeof p.EventSourceArn === "string" ? p.EventSourceArn : "";
  if (Array.isArray(p.Topics) || !sourceArn.startsWith("arn:aws:sqs:")) return undefined;
  return {
    id,
    functionName: lastArnPart(String(p.FunctionName)),
    queueArn: sourceArn,
    batchSize: Number(p.BatchSize ?? 10),
    batchingWindowMs: Number(p.MaximumBatchingWindowInSeconds ?? 0) * 1000,
    reportBatchItemFailures:
      Array.isArray(p.FunctionResponseTypes) && p.FunctionResponseTypes.includes("ReportBatchItemFailures"),
    maximumConcurrency: (p.ScalingConfig as { MaximumConcurrency?: number } | undefined)?.MaximumConcurrency,
  };
}

/** CDK's bucket notifications resource: one notification per function or queue configuration. */
function readNotifications({ p }: Resource): BucketNotification[] {
  const bucket = String(p.BucketName);
  const config = (p.NotificationConfiguration ?? {}) as Record<
    string,
    Array<Record<string, unknown>> | undefined
  >;
  const notification = (c: Record<string, unknown>) => ({
    bucket,
    ...filterOf(c),
    events: (c.Events as string[]) ?? [],
  });
  return [
    ...(config.LambdaFunctionConfigurations ?? []).map((c) => ({
      ...notification(c),
      functionArn: String(c.LambdaFunctionArn),
    })),
    ...(config.QueueConfigurations ?? []).map((c) => ({ ...notification(c), queueArn: String(c.QueueArn) })),
  ];
}

function readSchedule({ id, p, ctx }: Resource): ScheduleDefinition {
  const target = (p.Target ?? {}) as {
    Arn?: string;
    Input?: string;
    RoleArn?: string;
    RetryPolicy?: { MaximumRetryAttempts?: number; MaximumEventAgeInSeconds?: number };
    DeadLetterConfig?: { Arn?: string };
  };
  const retry = target.RetryPolicy ?? {};
  // CloudFormation names a schedule without Name after the stack and its logical id; offline, the id.
  const name = typeof p.Name === "string" ? p.Name : id;
  const group = typeof p.GroupName === "string" ? p.GroupName : "default";
  const window = p.FlexibleTimeWindow as
    | { Mode: "OFF" | "FLEXIBLE"; MaximumWindowInMinutes?: number }
    | undefined;
  return {
    id,
    expression: String(p.ScheduleExpression),
    targetArn: String(target.Arn),
    input: target.Input ? JSON.parse(target.Input) : {},
    enabled: p.State !== "DISABLED",
    timezone: p.ScheduleExpressionTimezone as string | undefined,
    startDate: p.StartDate as string | undefined,
    endDate: p.EndDate as string | undefined,
    flexibleTimeWindow: window
      ? { mode: window.Mode, maximumWindowInMinutes: window.MaximumWindowInMinutes }
      : undefined,
    roleArn: String(target.RoleArn),
    arn: `arn:aws:scheduler:${ctx.region}:${LOCAL_ACCOUNT}:schedule/${group}/${name}`,
    retryPolicy: {
      maximumRetryAttempts: Number(
        retry.MaximumRetryAttempts ?? SCHEDULE_RETRY_DEFAULTS.maximumRetryAttempts,
      ),
      maximumEventAgeSeconds: Number(
        retry.MaximumEventAgeInSeconds ?? SCHEDULE_RETRY_DEFAULTS.maximumEventAgeSeconds,
      ),
    },
    deadLetterArn: target.DeadLetterConfig?.Arn,
  };
}

function readStateMachine({ id, p, ctx }: Resource): StateMachineDefinition {
  const definition = (p.Definition ?? JSON.parse(String(p.DefinitionString))) as Record<string, unknown>;
  return { id, name: physicalName(ctx, id), arn: arnOf(ctx, id), definition, roleArn: String(p.RoleArn) };
}

function filterOf(config: Record<string, unknown>): { prefix: string; suffix: string } {
  const rules = ((
    config.Filter as { Key?: { FilterRules?: Array<{ Name: string; Value: string }> } } | undefined
  )?.Key?.FilterRules ?? []) as Array<{ Name: string; Value: string }>;
  const rule = (name: string) => rules.find((r) => r.Name.toLowerCase() === name)?.Value ?? "";
  return { prefix: rule("prefix"), suffix: rule("suffix") };
}

/** "arn:aws:lambda:…:function:name" or a bare name → the name. */
export function lastArnPart(value: string): string {
  return value.includes(":") ? value.slice(value.lastIndexOf(":") + 1) : value;
}
