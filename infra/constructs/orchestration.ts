/**
 * Orchestration: the state machine "pipeline run", its schedule and the alerts topic.
 *
 *   defaults → load pending files (Lambda) → [backfill? plan the days (Lambda) → Map over days]
 *   → dbt on Fargate (ecs:runTask.sync, command = $.dbtArgs) → quality gate (Lambda reading
 *   dbt's run_results.json) → publish summary (Lambda) → done.
 *
 * Transient errors are retried with backoff; anything else is caught, sent to the alerts
 * topic and fails the execution. Logging (ALL) and X-Ray tracing are on. EventBridge
 * Scheduler starts a run on the configured schedule.
 *
 * Input: `{}` runs `dbt build`; `{"dbtArgs": ["build", "--select", "…"]}` picks the dbt
 * command; `{"backfill": {"from": "YYYY-MM-DD", "to": "YYYY-MM-DD"}}` runs dbt once per day (the
 * plan-backfill function lists the days: ASL's JSONPath has no date arithmetic, and the local
 * interpreter runs no JSONata)
 * with `--vars {"run_date": "<day>"}` appended. Days run one after another (MaxConcurrency 1:
 * each day's dbt run writes the same incremental tables), each within BACKFILL_DAY_TIMEOUT, so
 * plan-backfill refuses more than MAX_DAYS days, what fits in the execution's RUN_TIMEOUT. dbt's artifacts of a run go to
 * `dbt/<runId>/` in the artifacts bucket (runId = execution name, plus `/<day>` in a backfill),
 * the container (dbt/docker/entrypoint.sh) reading `EXECUTION_ID`.
 */
import { Duration, type RemovalPolicy } from "aws-cdk-lib";
import type * as ec2 from "aws-cdk-lib/aws-ec2";
import * as ecs from "aws-cdk-lib/aws-ecs";
import type * as kms from "aws-cdk-lib/aws-kms";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import * as logs from "aws-cdk-lib/aws-logs";
import * as scheduler from "aws-cdk-lib/aws-scheduler";
import * as targets from "aws-cdk-lib/aws-scheduler-targets";
import * as sns from "aws-cdk-lib/aws-sns";
import * as subscriptions from "aws-cdk-lib/aws-sns-subscriptions";
import * as sqs from "aws-cdk-lib/aws-sqs";
import * as sfn from "aws-cdk-lib/aws-stepfunctions";
import * as tasks from "aws-cdk-lib/aws-stepfunctions-tasks";
import { Construct } from "constructs";
import type { Transform } from "./transform.ts";

/** Errors worth another try: Lambda's own service errors and ECS capacity/API hiccups. */
export const LAMBDA_TRANSIENT_ERRORS = [
  "Lambda.ServiceException",
  "Lambda.AWSLambdaException",
  "Lambda.SdkClientException",
  "Lambda.TooManyRequestsException",
];
/**
 * ECS API errors, throttling and `AmazonECS.Unknown` (runTask answered 200 with Failures, e.g.
 * no capacity): the task never ran, so another try costs nothing. Not `States.TaskFailed`:
 * ecs:runTask.sync fails with it when dbt exits non-zero, and rerunning a failed build (a data
 * test that fails) only triples the cost and delays the alert.
 */
export const DBT_TRANSIENT_ERRORS = [
  "ECS.AmazonECSException",
  "ECS.ServerException",
  "ECS.ThrottlingException",
  "AmazonECS.Unknown",
];

/** How long one dbt run may take: a regular run, and one day of a backfill. */
export const DBT_RUN_TIMEOUT = Duration.hours(2);
export const BACKFILL_DAY_TIMEOUT = Duration.minutes(20);
/** The whole execution; a backfill of MAX_DAYS (lambdas/plan-backfill) days fits in it. */
export const RUN_TIMEOUT = Duration.hours(12);

export interface OrchestrationProps {
  readonly stateMachineName?: string;
  readonly loadPending: lambda.IFunction;
  /** Turns a backfill range into days (the Map's items). */
  readonly planBackfill: lambda.IFunction;
  readonly qualityGate: lambda.IFunction;
  readonly publishSummary: lambda.IFunction;
  readonly transform: Transform;
  /** Where the dbt task runs. */
  readonly taskSubnets: ec2.SubnetSelection;
  /** Public subnets without NAT: the task needs a public IP to reach the warehouse and ECR. */
  readonly assignPublicIp: boolean;
  /** EventBridge Scheduler expression. @default "rate(1 hour)" */
  readonly schedule?: string;
  /** Subscribed to the alerts topic when set. @default none */
  readonly alertEmail?: string;
  /** Encrypts the alerts topic. @default unencrypted */
  readonly alertsKey?: kms.IKey;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  readonly logRemovalPolicy?: RemovalPolicy;
  /** Fixed topic name (local target). @default generated */
  readonly alertsTopicName?: string;
}

export class Orchestration extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly alerts: sns.Topic;
  public readonly schedule: scheduler.Schedule;
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: OrchestrationProps) {
    super(scope, id);
    this.alerts = new sns.Topic(this, "Alerts", {
      topicName: props.alertsTopicName,
      displayName: "Pipeline run alerts",
      enforceSSL: true,
      masterKey: props.alertsKey,
    });
    if (props.alertEmail) {
      // Undeliverable alerts are kept rather than lost.
      const undelivered = new sqs.Queue(this, "UndeliveredAlerts", {
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
      });
      this.alerts.addSubscription(
        new subscriptions.EmailSubscription(props.alertEmail, { deadLetterQueue: undelivered }),
      );
    }

    const failed = new tasks.SnsPublish(this, "Notify failure", {
      topic: this.alerts,
      subject: "Pipeline run failed",
      message: sfn.TaskInput.fromObject({
        execution: sfn.JsonPath.executionId,
        error: sfn.JsonPath.stringAt("$.error.Error"),
        cause: sfn.JsonPath.stringAt("$.error.Cause"),
      }),
      resultPath: sfn.JsonPath.DISCARD,
    }).next(new sfn.Fail(this, "Run failed", { error: "PipelineRunFailed", causePath: "$.error.Cause" }));
    const catchAll = <T extends sfn.TaskStateBase | sfn.Map>(state: T): T => {
      state.addCatch(failed, { errors: [sfn.Errors.ALL], resultPath: "$.error" });
      return state;
    };

    const defaults = new sfn.Pass(this, "Defaults", {
      parameters: {
        defaults: { dbtArgs: ["build"], runId: sfn.JsonPath.executionName },
        "input.$": "$",
      },
    });
    const merge = new sfn.Pass(this, "Merge input", {
      parameters: { "run.$": "States.JsonMerge($.defaults, $.input, false)" },
      outputPath: "$.run",
    });
    const loadPending = catchAll(
      new tasks.LambdaInvoke(this, "Load pending files", {
        lambdaFunction: props.loadPending,
        payload: sfn.TaskInput.fromObject({ runId: sfn.JsonPath.stringAt("$.runId") }),
        payloadResponseOnly: true,
        resultPath: "$.load",
        retryOnServiceExceptions: false,
      }),
    );
    loadPending.addRetry(transientLambdaRetry());

    const publish = catchAll(
      new tasks.LambdaInvoke(this, "Publish summary", {
        lambdaFunction: props.publishSummary,
        payload: sfn.TaskInput.fromObject({
          executionId: sfn.JsonPath.executionId,
          runId: sfn.JsonPath.stringAt("$.runId"),
          run: sfn.JsonPath.entirePayload,
        }),
        payloadResponseOnly: true,
        resultPath: "$.summary",
        retryOnServiceExceptions: false,
      }),
    );
    publish.addRetry(transientLambdaRetry());

    const planDays = catchAll(
      new tasks.LambdaInvoke(this, "Plan backfill days", {
        lambdaFunction: props.planBackfill,
        payload: sfn.TaskInput.fromObject({
          backfill: sfn.JsonPath.objectAt("$.backfill"),
          dbtArgs: sfn.JsonPath.listAt("$.dbtArgs"),
        }),
        payloadResponseOnly: true,
        resultPath: "$.days",
        retryOnServiceExceptions: false,
      }),
    );
    planDays.addRetry(transientLambdaRetry());
    const days = catchAll(
      new sfn.Map(this, "Backfill days", {
        itemsPath: "$.days",
        maxConcurrency: 1,
        itemSelector: {
          "day.$": "$$.Map.Item.Value.day",
          "dbtArgs.$": "$$.Map.Item.Value.dbtArgs",
          "runId.$": "States.Format('{}/{}', $.runId, $$.Map.Item.Value.day)",
        },
        resultPath: "$.days",
      }),
    );
    // Each day returns a small summary, not its state (the stopped task's description): the
    // Map's output holds every day and must stay far below Step Functions' 256 KB.
    const daySummary = new sfn.Pass(this, "Backfill: Day summary", {
      parameters: {
        "day.$": "$.day",
        "runId.$": "$.runId",
        "dbtArgs.$": "$.dbtArgs",
        "quality.$": "$.quality",
      },
    });
    days.itemProcessor(this.dbtAndGate("Backfill: ", props, (s) => s, BACKFILL_DAY_TIMEOUT).next(daySummary));

    const backfill = new sfn.Choice(this, "Backfill?")
      .when(sfn.Condition.isPresent("$.backfill"), planDays.next(days).next(publish))
      .otherwise(this.dbtAndGate("", props, catchAll, DBT_RUN_TIMEOUT).next(publish));

    this.logGroup = new logs.LogGroup(this, "Logs", {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy,
    });
    this.stateMachine = new sfn.StateMachine(this, "PipelineRun", {
      stateMachineName: props.stateMachineName,
      comment: "pipeline run: load pending files → dbt → quality gate → publish summary",
      definitionBody: sfn.DefinitionBody.fromChainable(defaults.next(merge).next(loadPending).next(backfill)),
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
      tracingEnabled: true,
      timeout: RUN_TIMEOUT,
    });

    this.schedule = new scheduler.Schedule(this, "Schedule", {
      description: "Starts the pipeline run",
      schedule: scheduler.ScheduleExpression.expression(props.schedule ?? "rate(1 hour)"),
      target: new targets.StepFunctionsStartExecution(this.stateMachine, {
        input: scheduler.ScheduleTargetInput.fromObject({ dbtArgs: ["build"] }),
        retryAttempts: 2,
      }),
    });
  }

  /** dbt on Fargate then the quality gate; `prefix` keeps state names unique per branch. */
  private dbtAndGate(
    prefix: string,
    props: OrchestrationProps,
    wrap: <T extends sfn.TaskStateBase | sfn.Map>(state: T) => T,
    timeout: Duration,
  ): sfn.Chain {
    const { transform } = props;
    const dbt = wrap(
      new tasks.EcsRunTask(this, `${prefix}Run dbt`, {
        integrationPattern: sfn.IntegrationPattern.RUN_JOB,
        cluster: transform.cluster,
        taskDefinition: transform.taskDefinition,
        launchTarget: new tasks.EcsFargateLaunchTarget({
          platformVersion: ecs.FargatePlatformVersion.LATEST,
        }),
        subnets: props.taskSubnets,
        assignPublicIp: props.assignPublicIp,
        securityGroups: [transform.securityGroup],
        containerOverrides: [
          {
            containerDefinition: transform.container,
            command: sfn.JsonPath.listAt("$.dbtArgs"),
            environment: [{ name: "EXECUTION_ID", value: sfn.JsonPath.stringAt("$.runId") }],
          },
        ],
        // ecs:runTask.sync fails the state (States.TaskFailed) when dbt exits non-zero; on
        // success the quality gate reads the exit code and run_results.json. Of the stopped
        // task's description (kilobytes) only what the gate reads is kept.
        resultSelector: { "TaskArn.$": "$.TaskArn", "Containers.$": "$.Containers" },
        resultPath: "$.dbt",
        taskTimeout: sfn.Timeout.duration(timeout),
      }),
    );
    dbt.addRetry({
      errors: DBT_TRANSIENT_ERRORS,
      interval: Duration.seconds(15),
      maxAttempts: 2,
      backoffRate: 2,
      jitterStrategy: sfn.JitterType.FULL,
    });
    const gate = wrap(
      new tasks.LambdaInvoke(this, `${prefix}Quality gate`, {
        lambdaFunction: props.qualityGate,
        payload: sfn.TaskInput.fromObject({
          runId: sfn.JsonPath.stringAt("$.runId"),
          dbt: sfn.JsonPath.objectAt("$.dbt"),
        }),
        payloadResponseOnly: true,
        resultPath: "$.quality",
        retryOnServiceExceptions: false,
      }),
    );
    gate.addRetry(transientLambdaRetry());
    return dbt.next(gate);
  }
}

function transientLambdaRetry(): sfn.RetryProps {
  return {
    errors: LAMBDA_TRANSIENT_ERRORS,
    interval: Duration.seconds(2),
    maxAttempts: 3,
    backoffRate: 2,
    jitterStrategy: sfn.JitterType.FULL,
  };
}
