/**
 * Ingestion: every function of the registry (infra/functions.ts) as a PipelineFunction, and
 * the triggers the registry declares — Kafka event source mappings with an on-failure queue,
 * S3 notifications (direct, or through SQS with a batching window), schedules. State machine
 * tasks and the custom resource are wired by Orchestration and Streaming, which take the
 * functions from here.
 */
import { ArnFormat, Duration, type RemovalPolicy, Stack } from "aws-cdk-lib";
import type * as ec2 from "aws-cdk-lib/aws-ec2";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as destinations from "aws-cdk-lib/aws-lambda-destinations";
import { SqsDlq, SqsEventSource } from "aws-cdk-lib/aws-lambda-event-sources";
import type * as logs from "aws-cdk-lib/aws-logs";
import * as s3 from "aws-cdk-lib/aws-s3";
import * as s3n from "aws-cdk-lib/aws-s3-notifications";
import * as scheduler from "aws-cdk-lib/aws-scheduler";
import * as targets from "aws-cdk-lib/aws-scheduler-targets";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { kafkaConsumerGroupId } from "../../core/kafka/consumer-group.ts";
import type { FunctionSpec, KafkaTrigger, S3Trigger, ScheduleTrigger } from "../functions.ts";
import { Lake } from "./lake.ts";
import { PipelineFunction } from "./pipeline-function.ts";
import type { KafkaCluster } from "./streaming.ts";
import type { Warehouse } from "./warehouse.ts";

export interface IngestionProps {
  /** The registry entries to synthesize. */
  readonly functions: readonly FunctionSpec[];
  readonly envName: string;
  readonly lake: Lake;
  readonly kafka: KafkaCluster;
  readonly warehouse: Warehouse;
  /** Environment every function gets on top of its own (e.g. the emulator endpoint). @default {} */
  readonly environment?: Record<string, string>;
  /** Kafka-facing functions go here; undefined (local target) means no VPC. */
  readonly network?: {
    readonly vpc: ec2.IVpc;
    readonly subnets: ec2.SubnetSelection;
    readonly securityGroup: ec2.ISecurityGroup;
  };
  /** Fixed queue names (local target). @default generated */
  readonly fixedNames?: boolean;
  /** @default false: bundle every function with esbuild */
  readonly installNodeModules?: boolean;
  readonly logRetention?: logs.RetentionDays;
  readonly removalPolicy?: RemovalPolicy;
}

export class Ingestion extends Construct {
  /** Registry name → function. */
  public readonly functions: ReadonlyMap<string, PipelineFunction>;
  /** Where failed Kafka batches and failed asynchronous invocations end up. */
  public readonly failures: sqs.Queue;
  /** The S3 → SQS queues of functions batching their S3 events, by function name. */
  public readonly s3Queues: ReadonlyMap<string, sqs.Queue>;
  /** Function URLs (AWS_IAM auth) of functions with an http trigger, by function name. */
  public readonly functionUrls: ReadonlyMap<string, lambda.FunctionUrl>;

  private readonly props: IngestionProps;

  constructor(scope: Construct, id: string, props: IngestionProps) {
    super(scope, id);
    this.props = props;
    this.failures = new sqs.Queue(this, "Failures", {
      queueName: props.fixedNames ? `pipeline-${props.envName}-failures` : undefined,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const functions = new Map<string, PipelineFunction>();
    const queues = new Map<string, sqs.Queue>();
    const urls = new Map<string, lambda.FunctionUrl>();
    for (const spec of props.functions) {
      const fn = this.createFunction(spec);
      functions.set(spec.name, fn);
      for (const trigger of spec.triggers) {
        if (trigger.kind === "kafka") this.addKafkaTrigger(fn, spec, trigger);
        if (trigger.kind === "s3") {
          const queue = this.addS3Trigger(fn, spec, trigger);
          if (queue) queues.set(spec.name, queue);
        }
        if (trigger.kind === "schedule") this.addSchedule(fn, spec, trigger);
        // IAM auth: only a signed caller (CloudFront's Origin Access Control) gets through.
        if (trigger.kind === "http")
          urls.set(spec.name, fn.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM }));
      }
    }
    this.functions = functions;
    this.s3Queues = queues;
    this.functionUrls = urls;
  }

  /** The function of a registry entry; throws when the registry has no such entry. */
  fn(name: string): PipelineFunction {
    const found = this.functions.get(name);
    if (!found) throw new Error(`function "${name}" is not in the registry`);
    return found;
  }

  private createFunction(spec: FunctionSpec): PipelineFunction {
    const { props } = this;
    const inVpc = spec.kafkaClient !== undefined && props.network !== undefined;
    const asynchronous = spec.triggers.some((t) => t.kind === "s3" || t.kind === "schedule");
    const functionName = `pipeline-${props.envName}-${spec.name}`;
    const fn = new PipelineFunction(this, pascal(spec.name), {
      spec,
      functionName,
      environment: {
        PIPELINE_ENV: props.envName,
        ...props.lake.environment,
        ...props.warehouse.environment,
        ...(spec.kafkaClient || spec.triggers.some((t) => t.kind === "kafka")
          ? props.kafka.clientEnvironment
          : {}),
        ...props.environment,
      },
      logRetention: props.logRetention,
      logRemovalPolicy: props.removalPolicy,
      vpc: inVpc ? props.network?.vpc : undefined,
      vpcSubnets: props.network?.subnets,
      securityGroups: props.network ? [props.network.securityGroup] : undefined,
      installNodeModules: props.installNodeModules,
      onFailure: asynchronous ? new destinations.SqsDestination(this.failures) : undefined,
    });
    const lake = props.lake;
    const buckets = spec.buckets ?? {};
    if (buckets.raw) Lake.grant(fn, lake.raw, buckets.raw);
    if (buckets.quarantine) Lake.grant(fn, lake.quarantine, buckets.quarantine);
    if (buckets.artifacts) Lake.grant(fn, lake.artifacts, buckets.artifacts);
    if (spec.warehouse) props.warehouse.grantRead(fn);
    // Its own ARN only; the name is built so the policy does not depend on the function itself.
    if (spec.invokesItself) {
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ["lambda:InvokeFunction"],
          resources: [
            Stack.of(this).formatArn({
              service: "lambda",
              resource: "function",
              resourceName: functionName,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          ],
        }),
      );
    }
    return fn;
  }

  private addKafkaTrigger(fn: PipelineFunction, spec: FunctionSpec, trigger: KafkaTrigger): void {
    const { kafka, envName } = this.props;
    // A group per mapping: AWS requires a consumer group id unique among all Kafka event sources.
    const groupIdOf = (topic: string) => kafkaConsumerGroupId(envName, spec.name, topic);
    for (const topic of trigger.topics) {
      fn.addEventSource(kafka.eventSource(topic, trigger, groupIdOf(topic), new SqsDlq(this.failures)));
    }
    kafka.grantConsume(fn, trigger.topics, trigger.topics.map(groupIdOf));
  }

  private addS3Trigger(fn: PipelineFunction, spec: FunctionSpec, trigger: S3Trigger): sqs.Queue | undefined {
    const bucket = this.props.lake[trigger.bucket];
    const filter = { prefix: trigger.prefix };
    if (!trigger.batchThroughQueueFor?.includes(this.props.warehouse.target)) {
      bucket.addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.LambdaDestination(fn), filter);
      return undefined;
    }
    const id = pascal(spec.name);
    const batchingWindowSeconds = trigger.queueBatchingWindowSeconds;
    if (batchingWindowSeconds === undefined)
      throw new Error(
        `${spec.name}: its S3 trigger's queue has no batching window (set by withTriggerConfig)`,
      );
    const deadLetters = new sqs.Queue(this, `${id}EventsDlq`, {
      queueName: this.props.fixedNames ? `pipeline-${this.props.envName}-${spec.name}-events-dlq` : undefined,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const queue = new sqs.Queue(this, `${id}Events`, {
      queueName: this.props.fixedNames ? `pipeline-${this.props.envName}-${spec.name}-events` : undefined,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Six times the function timeout, as Lambda recommends for SQS sources.
      visibilityTimeout: fn.timeout ? Duration.seconds(fn.timeout.toSeconds() * 6) : undefined,
      deadLetterQueue: { queue: deadLetters, maxReceiveCount: 5 },
    });
    bucket.addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.SqsDestination(queue), filter);
    fn.addEventSource(
      new SqsEventSource(queue, {
        batchSize: trigger.queueBatchSize ?? 100,
        maxBatchingWindow: Duration.seconds(batchingWindowSeconds),
        reportBatchItemFailures: true,
      }),
    );
    return queue;
  }

  private addSchedule(fn: PipelineFunction, spec: FunctionSpec, trigger: ScheduleTrigger): void {
    new scheduler.Schedule(this, `${pascal(spec.name)}Schedule`, {
      description: `Invokes ${spec.name}`,
      schedule: scheduler.ScheduleExpression.expression(trigger.expression),
      target: new targets.LambdaInvoke(fn, { retryAttempts: 2, deadLetterQueue: this.failures }),
    });
  }
}

/** "land-records" → "LandRecords" (construct ids). */
export function pascal(name: string): string {
  return name
    .split(/[^a-zA-Z0-9]/)
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join("");
}
