/**
 * Turns a synthesized stack into what the local runtime executes: functions, Kafka and SQS
 * event source mappings, S3 notifications, schedules, state machines and the resources the
 * emulator holds. Everything comes from the template; nothing about our stack is hard-coded
 * beyond the `PIPELINE_FUNCTION` variable that names each function's handler module.
 */
import { join } from "node:path";
import { resourcesOfType, type StackArtifact } from "./assembly.ts";
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
  /** The function's ARN and its execution role's ARN (what it acts as offline too). */
  readonly functionArn: string;
  readonly roleArn: string;
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
  /** The role EventBridge Scheduler assumes to call the target. */
  readonly roleArn: string;
}

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

export function readStack(stack: StackArtifact, repoRoot: string, region: string): LocalStack {
  const ctx: ResolveContext = { template: stack.template, region, stackName: stack.stackName };
  const props = (id: string) =>
    (resolve(ctx, stack.template.Resources[id]?.Properties ?? {}) ?? {}) as Record<string, unknown>;

  const functions: FunctionSpec[] = [];
  for (const [id] of resourcesOfType(stack.template, "AWS::Lambda::Function")) {
    const p = props(id);
    const environment = ((p.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ??
      {}) as Record<string, unknown>;
    const pipelineFunction = environment.PIPELINE_FUNCTION;
    // Functions CDK adds for itself (custom resource providers…) have no handler module of ours.
    if (typeof pipelineFunction !== "string") continue;
    const handler = String(p.Handler ?? "index.handler");
    functions.push({
      logicalId: id,
      functionName: physicalName(ctx, id),
      pipelineFunction,
      modulePath: join(repoRoot, "lambdas", pipelineFunction, "index.ts"),
      handlerName: handler.slice(handler.lastIndexOf(".") + 1),
      environment: Object.fromEntries(Object.entries(environment).map(([k, v]) => [k, String(v)])),
      timeoutSeconds: Number(p.Timeout ?? 3),
      memoryMb: Number(p.MemorySize ?? 128),
      functionArn: arnOf(ctx, id),
      roleArn: String(p.Role),
    });
  }

  const kafkaMappings: KafkaMappingDefinition[] = [];
  const queueMappings: QueueMappingDefinition[] = [];
  for (const [id] of resourcesOfType(stack.template, "AWS::Lambda::EventSourceMapping")) {
    const p = props(id);
    const functionName = lastArnPart(String(p.FunctionName));
    const sourceArn = typeof p.EventSourceArn === "string" ? p.EventSourceArn : "";
    if (Array.isArray(p.Topics)) {
      const selfManaged = p.SelfManagedEventSource as
        | { Endpoints?: { KafkaBootstrapServers?: string[] } }
        | undefined;
      const groupConfig = (p.SelfManagedKafkaEventSourceConfig ?? p.AmazonManagedKafkaEventSourceConfig) as
        | { ConsumerGroupId?: string }
        | undefined;
      const destination = (p.DestinationConfig as { OnFailure?: { Destination?: string } } | undefined)
        ?.OnFailure?.Destination;
      kafkaMappings.push({
        id,
        functionName,
        topics: p.Topics.map(String),
        brokers: selfManaged?.Endpoints?.KafkaBootstrapServers,
        clusterArn: sourceArn.startsWith("arn:aws:kafka:") ? sourceArn : undefined,
        groupId: groupConfig?.ConsumerGroupId ?? `lambda-${id}`,
        batchSize: Number(p.BatchSize ?? 100),
        // Kafka mappings default to a 500 ms window.
        batchingWindowMs:
          p.MaximumBatchingWindowInSeconds === undefined
            ? 500
            : Number(p.MaximumBatchingWindowInSeconds) * 1000,
        startingPosition: p.StartingPosition === "LATEST" ? "LATEST" : "TRIM_HORIZON",
        maxRetryAttempts: p.MaximumRetryAttempts === undefined ? -1 : Number(p.MaximumRetryAttempts),
        onFailureArn: destination,
        enabled: p.Enabled !== false,
      });
    } else if (sourceArn.startsWith("arn:aws:sqs:")) {
      queueMappings.push({
        id,
        functionName,
        queueArn: sourceArn,
        batchSize: Number(p.BatchSize ?? 10),
        batchingWindowMs: Number(p.MaximumBatchingWindowInSeconds ?? 0) * 1000,
        reportBatchItemFailures:
          Array.isArray(p.FunctionResponseTypes) &&
          p.FunctionResponseTypes.includes("ReportBatchItemFailures"),
      });
    }
  }

  const notifications: BucketNotification[] = [];
  for (const [id] of resourcesOfType(stack.template, "Custom::S3BucketNotifications")) {
    const p = props(id);
    const bucket = String(p.BucketName);
    const config = (p.NotificationConfiguration ?? {}) as Record<
      string,
      Array<Record<string, unknown>> | undefined
    >;
    for (const c of config.LambdaFunctionConfigurations ?? []) {
      notifications.push({
        bucket,
        ...filterOf(c),
        events: (c.Events as string[]) ?? [],
        functionArn: String(c.LambdaFunctionArn),
      });
    }
    for (const c of config.QueueConfigurations ?? []) {
      notifications.push({
        bucket,
        ...filterOf(c),
        events: (c.Events as string[]) ?? [],
        queueArn: String(c.QueueArn),
      });
    }
  }

  const schedules: ScheduleDefinition[] = resourcesOfType(stack.template, "AWS::Scheduler::Schedule").map(
    ([id]) => {
      const p = props(id);
      const target = (p.Target ?? {}) as { Arn?: string; Input?: string; RoleArn?: string };
      return {
        id,
        expression: String(p.ScheduleExpression),
        targetArn: String(target.Arn),
        input: target.Input ? JSON.parse(target.Input) : {},
        enabled: p.State !== "DISABLED",
        timezone: p.ScheduleExpressionTimezone as string | undefined,
        startDate: p.StartDate as string | undefined,
        endDate: p.EndDate as string | undefined,
        flexibleTimeWindow: p.FlexibleTimeWindow
          ? {
              mode: (p.FlexibleTimeWindow as { Mode: "OFF" | "FLEXIBLE" }).Mode,
              maximumWindowInMinutes: (p.FlexibleTimeWindow as { MaximumWindowInMinutes?: number })
                .MaximumWindowInMinutes,
            }
          : undefined,
        roleArn: String(target.RoleArn),
      };
    },
  );

  const stateMachines: StateMachineDefinition[] = resourcesOfType(
    stack.template,
    "AWS::StepFunctions::StateMachine",
  ).map(([id]) => {
    const p = props(id);
    const definition = (p.Definition ?? JSON.parse(String(p.DefinitionString))) as Record<string, unknown>;
    const name = physicalName(ctx, id);
    return { id, name, arn: arnOf(ctx, id), definition, roleArn: String(p.RoleArn) };
  });

  const resources: EmulatedResource[] = [
    ...resourcesOfType(stack.template, "AWS::S3::Bucket").map(([id]) => ({
      type: "bucket" as const,
      name: physicalName(ctx, id),
      properties: props(id),
    })),
    ...resourcesOfType(stack.template, "AWS::SQS::Queue").map(([id]) => ({
      type: "queue" as const,
      name: physicalName(ctx, id),
      properties: props(id),
    })),
    ...resourcesOfType(stack.template, "AWS::DynamoDB::Table").map(([id]) => ({
      type: "table" as const,
      name: physicalName(ctx, id),
      properties: props(id),
    })),
    ...resourcesOfType(stack.template, "AWS::SecretsManager::Secret").map(([id]) => ({
      type: "secret" as const,
      name: physicalName(ctx, id),
      properties: props(id),
    })),
    ...resourcesOfType(stack.template, "AWS::SNS::Topic").map(([id]) => ({
      type: "topic" as const,
      name: physicalName(ctx, id),
      properties: props(id),
    })),
  ];

  return {
    stackName: stack.stackName,
    functions,
    kafkaMappings,
    queueMappings,
    notifications,
    schedules,
    stateMachines,
    resources,
    context: ctx,
  };
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
