/**
 * The local runtime: executes a synthesized stack offline. It reads the cloud assembly,
 * creates the emulator-held resources, runs custom resources (our topic provisioner) like a
 * deploy would, then wires the triggers the template declares to in-process functions.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { S3Client } from "@aws-sdk/client-s3";
import { SNSClient } from "@aws-sdk/client-sns";
import { CreateQueueCommand, SQSClient } from "@aws-sdk/client-sqs";
import { sqs } from "../../core/aws/clients.ts";
import { LOCAL_ACCOUNT, loadConfig, localEndpoints } from "../../core/config/index.ts";
import { createKafka } from "../../core/kafka/client.ts";
import { LOCAL_EVENT_SOURCE } from "../../core/msk-event/build.ts";
import { ExecutionHistory, type LocalExecution } from "../../core/runs/local-history.ts";
import { mskIamAllowListFile, mskIamCredentialsDir } from "../services/kafka/kafka.ts";
import { clientEnv, servicesSettings } from "../services/settings.ts";
import { AccessDeniedError, operatorKey, RuntimeAccess } from "./access.ts";
import { readAssembly } from "./assembly.ts";
import { type CustomResourceCall, createCustomResource } from "./custom-resources.ts";
import { checkStack } from "./deploy-checks.ts";
import { createEcsTaskRunner } from "./ecs-task.ts";
import { RuntimeError } from "./errors.ts";
import { type InvokeOptions, LocalFunction } from "./functions/host.ts";
import { kafkaForRole, syncKafkaAcls } from "./iam/kafka-acls.ts";
import type { AccessRequest } from "./iam/types.ts";
import { arnOf } from "./intrinsics.ts";
import { provision } from "./provision.ts";
import { startExecution } from "./state-machines.ts";
import { createTaskRunner } from "./tasks.ts";
import {
  type BucketNotification,
  type FunctionSpec,
  type KafkaMappingDefinition,
  type LocalStack,
  lastArnPart,
  type QueueMappingDefinition,
  readStack,
  type ScheduleDefinition,
  type StateMachineDefinition,
} from "./template-reader.ts";
import {
  type DestinationClients,
  deadLetterQueueFromArn,
  destinationFromArn,
} from "./triggers/destinations.ts";
import { KafkaMapping } from "./triggers/kafka.ts";
import {
  configureBucketNotifications,
  InvokeRefused,
  lambdaNotificationQueue,
  type NotifiedFunction,
  notifies,
  S3Notifications,
} from "./triggers/s3.ts";
import { Scheduler } from "./triggers/schedule.ts";
import { deliverScheduled } from "./triggers/schedule-target.ts";
import { QueuePoller } from "./triggers/sqs.ts";

export interface RuntimeOptions {
  /** The cloud assembly of the local target (`cdk synth -c target=local -o <dir>`). */
  readonly assemblyDir: string;
  readonly repoRoot: string;
  /** Where execution history, function logs and the S3 notification delays live. */
  readonly stateDir: string;
  readonly log?: (message: string) => void;
}

export class LocalRuntime {
  readonly stack: LocalStack;
  readonly history: ExecutionHistory;
  private readonly functions = new Map<string, LocalFunction>();
  readonly kafkaMappings: KafkaMapping[] = [];
  private readonly queuePollers: QueuePoller[] = [];
  private s3Notifications: S3Notifications | undefined;
  private readonly scheduler: Scheduler;
  private readonly options: RuntimeOptions;
  private readonly log: (message: string) => void;
  private readonly region: string;
  private readonly running = new Set<Promise<LocalExecution>>();
  private accessStarting: Promise<RuntimeAccess> | undefined;
  /** What the runtime's work acts as (set once {@link ready} resolved). */
  private access: RuntimeAccess | undefined;

  constructor(options: RuntimeOptions) {
    this.options = options;
    this.log = options.log ?? ((m) => console.log(`[runtime] ${m}`));
    this.region = loadConfig().aws.region;
    const stacks = readAssembly(options.assemblyDir);
    if (stacks.length !== 1) {
      throw new RuntimeError(
        `expected one stack in ${options.assemblyDir}, found ${stacks.map((s) => s.stackName).join(", ")}`,
      );
    }
    this.stack = readStack(stacks[0] as (typeof stacks)[number], options.repoRoot, this.region);
    this.history = new ExecutionHistory(join(options.stateDir, "executions"));
    this.scheduler = new Scheduler(this.log);
    const baseEnv = { ...process.env };
    for (const definition of this.stack.functions) {
      const logFile = join(options.stateDir, "logs", `${definition.functionName}.log`);
      this.functions.set(
        definition.functionName,
        new LocalFunction(
          definition,
          this.region,
          baseEnv,
          logFile,
          () =>
            // Lambda's sandbox credentials: a session of the execution role named after the function.
            this.requireAccess().environment(definition.roleArn, definition.functionName),
          () => this.logsDenied(definition),
        ),
      );
    }
  }

  /** Emulator resources, then custom resources — what `cdk deploy` would do. */
  async deploy(): Promise<void> {
    // What AWS refuses at create time fails the offline deploy too, before anything is made.
    checkStack(this.stack);
    await this.ready();
    await provision(this.stack.resources);
    await this.syncKafkaAcls();
    await this.configureS3Notifications(this.stack.notifications);
    // Lambda's asynchronous event queue of each function a schedule invokes (S3's are made above).
    for (const arn of this.scheduledFunctionArns())
      await sqs().send(new CreateQueueCommand({ QueueName: lambdaNotificationQueue(arn) }));
    const stackId = `arn:aws:cloudformation:${this.region}:${LOCAL_ACCOUNT}:stack/${this.stack.stackName}/local`;
    for (const resource of customResources(this.stack)) {
      // CloudFormation invokes a custom resource's function asynchronously: a throttle waits.
      await createCustomResource(resource, stackId, (fn, event) => this.invoke(fn, event, POLLED));
      this.log(`custom resource ${resource.logicalId} created by ${resource.functionName}`);
    }
  }

  /** Starts every trigger the template declares: one starter per kind. */
  async start(): Promise<void> {
    await this.ready();
    for (const mapping of this.stack.kafkaMappings.filter((m) => m.enabled))
      await this.startKafkaMapping(mapping);
    for (const mapping of this.stack.queueMappings) this.startQueuePoller(mapping);
    this.startS3Notifications(this.stack.notifications);
    for (const schedule of this.stack.schedules.filter((s) => s.enabled)) this.startSchedule(schedule);
  }

  /** A Kafka event source mapping: a consumer group polling as the function's role. */
  private async startKafkaMapping(m: KafkaMappingDefinition): Promise<void> {
    const settings = { ...loadConfig().kafka, clientId: `local-runtime-${m.id}`.slice(0, 200) };
    // An MSK mapping polls as the function's role through the broker's IAM listener, as
    // Lambda's pollers do; a self-managed one as the template's brokers say.
    const kafka = m.clusterArn
      ? kafkaForRole(
          { ...settings, clusterArn: m.clusterArn },
          this.roleOf(m.functionName),
          this.requireAccess().credentialProvider(this.roleOf(m.functionName), m.functionName) ??
            operatorKey(),
          [this.mskIamBrokers()],
        )
      : createKafka({ ...settings, brokers: m.brokers ?? settings.brokers });
    const mapping = new KafkaMapping(
      {
        id: m.id,
        functionName: m.functionName,
        topics: m.topics,
        groupId: m.groupId,
        batchSize: m.batchSize,
        batchingWindowMs: m.batchingWindowMs,
        startingPosition: m.startingPosition,
        maxRetryAttempts: m.maxRetryAttempts,
        onFailure: m.onFailureArn
          ? destinationFromArn(
              m.onFailureArn,
              (name) => this.queueUrl(name),
              this.clientsAs(this.roleOf(m.functionName)),
            )
          : undefined,
      },
      {
        kafka,
        source: { ...LOCAL_EVENT_SOURCE, bootstrapServers: (m.brokers ?? []).join(",") },
        invoke: (event) => this.invoke(m.functionName, event, POLLED),
        log: this.log,
      },
    );
    await mapping.start();
    this.kafkaMappings.push(mapping);
    this.log(
      `kafka ${m.topics.join(",")} → ${m.functionName} (batch ${m.batchSize}, window ${m.batchingWindowMs} ms)`,
    );
  }

  /** An SQS event source mapping: a long-polling queue poller as the function's role. */
  private startQueuePoller(q: QueueMappingDefinition): void {
    const poller = new QueuePoller(
      {
        ...q,
        queueUrl: this.queueUrl(lastArnPart(q.queueArn)),
        region: this.region,
        // Lambda polls a queue with five batches at once to start with, at most the mapping's
        // MaximumConcurrency and the function's concurrency.
        pollers: Math.min(
          q.maximumConcurrency ?? SQS_POLLERS_AT_START,
          this.requireFunction(q.functionName).concurrency,
        ),
      },
      (event) => this.invoke(q.functionName, event, POLLED),
      this.log,
      this.clientsAs(this.roleOf(q.functionName)).sqs,
    );
    poller.start();
    this.queuePollers.push(poller);
  }

  /**
   * The template's bucket notifications, put on the emulator's buckets (CDK's
   * Custom::S3BucketNotifications does the same on AWS). As S3 does, the configuration is
   * refused when S3 may not deliver to a destination: the function's resource policy
   * (AWS::Lambda::Permission) or the queue's policy must allow `s3.amazonaws.com` for the bucket.
   */
  private async configureS3Notifications(notifications: readonly BucketNotification[]): Promise<void> {
    for (const n of notifications) {
      const [action, destination] = n.functionArn
        ? ["lambda:InvokeFunction", n.functionArn]
        : ["sqs:SendMessage", n.queueArn as string];
      await this.requireAccess()
        .require(this.fromBucket(n.bucket, action, destination))
        .catch((error: unknown) => {
          throw new RuntimeError(
            `PutBucketNotificationConfiguration on ${n.bucket}: Unable to validate the following destination configurations: ${destination} (${(error as Error).message})`,
            { cause: error },
          );
        });
    }
    await configureBucketNotifications(notifications);
    for (const n of notifications)
      this.log(
        `s3://${n.bucket}/${n.prefix}*${n.suffix} → ${lastArnPart(n.functionArn ?? n.queueArn ?? "")}`,
      );
  }

  /**
   * S3 notifications to functions: the emulator queues each event on the function's internal
   * queue, and this long-polls it and invokes the function as S3 (a queue destination needs
   * nothing here: its event source mapping reads the queue).
   */
  private startS3Notifications(notifications: readonly BucketNotification[]): void {
    const byFunction = new Map<string, BucketNotification[]>();
    for (const n of notifications.filter((n) => n.functionArn))
      byFunction.set(n.functionArn as string, [...(byFunction.get(n.functionArn as string) ?? []), n]);
    // A function a schedule invokes (InvocationType Event) gets the same asynchronous queue.
    for (const arn of this.scheduledFunctionArns()) if (!byFunction.has(arn)) byFunction.set(arn, []);
    const functions = [...byFunction].map(([functionArn, own]): NotifiedFunction => {
      const spec = this.functionSpec(lastArnPart(functionArn));
      const { onFailureArn, onSuccessArn, deadLetterArn } = spec.asyncInvoke;
      // Lambda writes where the function's configuration says as the function's execution role.
      const clients = this.clientsAs(spec.roleArn);
      const queueUrl = (name: string) => this.queueUrl(name);
      if (onSuccessArn)
        this.log(`${spec.functionName}: on-success destination ${onSuccessArn} is not run offline`);
      return {
        functionArn,
        queueUrl: this.queueUrl(lambdaNotificationQueue(functionArn)),
        wants: (bucket, key) => own.some((n) => notifies(n, bucket, key)),
        // S3 invokes the function as its service principal: the function's resource
        // policy (AWS::Lambda::Permission) must allow it for this bucket.
        mayInvoke: (bucket) =>
          this.requireAccess()
            .require(this.fromBucket(bucket, "lambda:InvokeFunction", functionArn))
            .catch((error: unknown) => {
              throw new InvokeRefused((error as Error).message, { cause: error });
            }),
        deliver: async (event) => {
          await this.invoke(spec.functionName, event, POLLED);
        },
        concurrency: this.requireFunction(spec.functionName).concurrency,
        asyncInvoke: spec.asyncInvoke,
        failureTargets: {
          onFailure: onFailureArn ? destinationFromArn(onFailureArn, queueUrl, clients) : undefined,
          deadLetter: deadLetterArn ? deadLetterQueueFromArn(deadLetterArn, queueUrl, clients) : undefined,
        },
      };
    });
    if (functions.length === 0) return;
    this.s3Notifications = new S3Notifications(functions, {
      delaysFile: s3NotificationDelaysFile(this.options.stateDir),
      log: this.log,
    });
    this.s3Notifications.start();
  }

  private readonly logsLostReported = new Set<string>();

  /**
   * Whether the function's role may write its CloudWatch logs, as Lambda writes them for a new
   * sandbox: `logs:CreateLogGroup` on the group when the template does not create it, then
   * `logs:CreateLogStream` and `logs:PutLogEvents` on the sandbox's stream. The reason when it
   * may not (the function still runs, its logs are lost); said once per function in the log.
   */
  private async logsDenied(definition: FunctionSpec): Promise<string | undefined> {
    const authorizer = this.requireAccess().authorizer;
    if (!authorizer) return undefined;
    const group = `arn:aws:logs:${this.region}:${LOCAL_ACCOUNT}:log-group:${definition.logGroup.name}`;
    const day = new Date().toISOString().slice(0, 10).replaceAll("-", "/");
    const stream = `${group}:log-stream:${day}/[$LATEST]${crypto.randomUUID().replaceAll("-", "")}`;
    const requests: AccessRequest[] = [
      ...(definition.logGroup.declared ? [] : [{ action: "logs:CreateLogGroup", resource: group }]),
      { action: "logs:CreateLogStream", resource: stream },
      { action: "logs:PutLogEvents", resource: stream },
    ].map((r) => ({ principal: definition.roleArn, ...r }));
    for (const request of requests) {
      const decision = await authorizer.decide(request);
      if (decision.allowed) continue;
      const reason = new AccessDeniedError({ request, decision }).message;
      if (!this.logsLostReported.has(definition.functionName)) {
        this.logsLostReported.add(definition.functionName);
        this.log(
          `${definition.functionName}: its logs are lost, as in CloudWatch: ${definition.roleArn} may not ${request.action} on ${request.resource} (${reason})`,
        );
      }
      return reason;
    }
    this.logsLostReported.delete(definition.functionName);
    return undefined;
  }

  /** The functions an enabled schedule of the template invokes (Scheduler's Lambda targets). */
  private scheduledFunctionArns(): string[] {
    const arns = this.stack.schedules
      .filter((s) => s.enabled && s.targetArn.includes(":lambda:"))
      .map((s) => s.targetArn)
      .filter((arn) => this.stack.functions.some((f) => f.functionArn === arn));
    return [...new Set(arns)];
  }

  /**
   * An EventBridge Scheduler schedule: a timer whose every fire calls the target as the
   * schedule's role (Target.RoleArn) — a function with Lambda's Invoke of InvocationType Event,
   * so the function's asynchronous queue and EventInvokeConfig take it from there; a state
   * machine with StartExecution — and, when the call fails, the schedule's RetryPolicy and
   * dead-letter queue (triggers/schedule-target.ts).
   */
  private startSchedule(schedule: ScheduleDefinition): void {
    const toMachine = schedule.targetArn.includes(":states:");
    const call = async () => {
      await this.requireAccess().require({
        principal: schedule.roleArn,
        action: toMachine ? "states:StartExecution" : "lambda:InvokeFunction",
        resource: schedule.targetArn,
      });
      if (toMachine) {
        // StartExecution answers once the execution started; how it ends is the machine's.
        void this.startExecution(schedule.targetArn, schedule.input).done;
        return;
      }
      const target = this.stack.functions.find((f) => f.functionArn === schedule.targetArn);
      if (!target) throw resourceNotFound(`Function not found: ${schedule.targetArn}`);
      await this.invokeAsync(target.functionName, schedule.input);
    };
    const deadLetter = schedule.deadLetterArn
      ? {
          arn: schedule.deadLetterArn,
          queueUrl: this.queueUrl(lastArnPart(schedule.deadLetterArn)),
          // Scheduler sends the dead-letter event as the schedule's execution role.
          sqs: this.clientsAs(schedule.roleArn).sqs,
        }
      : undefined;
    this.scheduler.add({
      id: schedule.id,
      expression: schedule.expression,
      timezone: schedule.timezone,
      startDate: schedule.startDate ? new Date(schedule.startDate) : undefined,
      endDate: schedule.endDate ? new Date(schedule.endDate) : undefined,
      flexibleTimeWindow: schedule.flexibleTimeWindow,
      run: (scheduledTime) =>
        deliverScheduled(
          {
            scheduleId: schedule.id,
            scheduleArn: schedule.arn,
            targetArn: schedule.targetArn,
            input: schedule.input,
            retryPolicy: schedule.retryPolicy,
            deadLetter,
            call,
            log: this.log,
            stopped: () => this.scheduler.isStopped,
          },
          scheduledTime,
        ),
    });
    this.log(`schedule ${schedule.expression} → ${lastArnPart(schedule.targetArn)}`);
  }

  /**
   * Starts what every call needs first: the IAM gateway the sandboxes call through (when IAM
   * is enforced). Idempotent; deploy, start and invoke wait for it.
   */
  async ready(): Promise<RuntimeAccess> {
    this.accessStarting ??= RuntimeAccess.start({
      template: this.stack.context.template,
      log: this.log,
      credentialsDir: mskIamCredentialsDir(servicesSettings()),
      kafkaClusters: this.mskClusters().map((arn) => ({
        arn,
        bootstrapBrokerStringSaslIam: this.mskIamBrokers(),
      })),
      onDenied: (message, request) => {
        for (const definition of this.stack.functions) {
          if (definition.roleArn === request.principal)
            this.functions.get(definition.functionName)?.note(message);
        }
      },
    });
    this.access = await this.accessStarting;
    return this.access;
  }

  /** The MSK clusters the template names (mappings' sources, functions' MSK_CLUSTER_ARN). */
  private mskClusters(): string[] {
    const arns = [
      ...this.stack.kafkaMappings.map((m) => m.clusterArn),
      ...this.stack.functions.map((f) => f.environment.MSK_CLUSTER_ARN),
    ].filter((arn): arn is string => typeof arn === "string" && arn.startsWith("arn:aws:kafka:"));
    return [...new Set(arns)];
  }

  /** The offline broker's MSK IAM listener: what GetBootstrapBrokers answers. */
  private mskIamBrokers(): string {
    return process.env.KAFKA_IAM_BROKERS ?? clientEnv(servicesSettings()).KAFKA_IAM_BROKERS ?? "";
  }

  /**
   * Gives every role of the template on the broker exactly what IAM allows it on each MSK
   * cluster of the template (Connect allow-list and ACLs), before anything connects as a role.
   */
  private async syncKafkaAcls(): Promise<void> {
    const authorizer = this.requireAccess().authorizer;
    const clusters = this.mskClusters();
    if (!authorizer || clusters.length === 0) return;
    const topics = new Set(this.stack.kafkaMappings.flatMap((m) => m.topics));
    for (const resource of Object.values(this.stack.context.template.Resources)) {
      const declared = resource.Properties?.Topics;
      if (resource.Type === "Custom::KafkaTopics" && Array.isArray(declared))
        for (const t of declared as Array<{ topic?: string }>) if (t.topic) topics.add(t.topic);
    }
    const admin = createKafka({ ...loadConfig().kafka, auth: "none" }, "-acls").admin();
    await admin.connect();
    try {
      for (const topic of await admin.listTopics()) topics.add(topic);
      for (const clusterArn of clusters) {
        const rights = await syncKafkaAcls(admin, authorizer, {
          clusterArn,
          clusterName: clusterArn.split("/")[1] ?? "",
          topics: [...topics],
          groups: this.stack.kafkaMappings.map((m) => m.groupId),
          roles: [...authorizer.policies.roles.keys()],
          allowListFile: mskIamAllowListFile(servicesSettings()),
        });
        this.log(
          `kafka IAM on ${clusterArn}: ${rights.filter((r) => r.connect).length} roles may connect, ${rights.reduce((n, r) => n + r.acls.length, 0)} ACLs`,
        );
      }
    } finally {
      await admin.disconnect();
    }
  }

  /** Every distinct call IAM allowed so far (empty when IAM is not enforced). */
  get accessJournal(): readonly AccessRequest[] {
    return this.access?.journal ?? [];
  }

  private requireAccess(): RuntimeAccess {
    if (!this.access)
      throw new RuntimeError("the runtime's IAM gateway is not started: await runtime.ready() first");
    return this.access;
  }

  /**
   * Invokes a function synchronously (Lambda's Invoke, RequestResponse): over a reserved
   * concurrency in use it is refused with TooManyRequestsException, unless `options` say
   * the caller waits, as Lambda's own pollers and event queue do.
   */
  async invoke<T = unknown>(functionName: string, event: unknown, options?: InvokeOptions): Promise<T> {
    const fn = this.requireFunction(functionName);
    await this.ready();
    return fn.invoke<T>(event, options);
  }

  private requireFunction(functionName: string): LocalFunction {
    const fn = this.functions.get(functionName);
    if (!fn) throw new RuntimeError(`no function ${functionName} in the template`);
    return fn;
  }

  /** Each function's invocations, errors, cold starts, throttles and most at once, by its `lambdas/` name. */
  functionStats(): Record<string, FunctionStats> {
    return Object.fromEntries(
      this.stack.functions.map(({ functionName, pipelineFunction }) => {
        const fn = this.requireFunction(functionName);
        const { concurrency, invocations, errors, coldStarts, throttles, peakConcurrency } = fn;
        return [
          pipelineFunction,
          { concurrency, invocations, errors, coldStarts, throttles, peakConcurrency },
        ];
      }),
    );
  }

  /** Looks a function up by its `lambdas/<name>` folder name. */
  functionNameOf(pipelineFunction: string): string {
    const found = this.stack.functions.find((f) => f.pipelineFunction === pipelineFunction);
    if (!found) throw new RuntimeError(`the template has no function for lambdas/${pipelineFunction}`);
    return found.functionName;
  }

  stateMachine(nameOrArn?: string): StateMachineDefinition {
    const machines = this.stack.stateMachines;
    const found = nameOrArn
      ? machines.find((m) => m.arn === nameOrArn || m.name === nameOrArn || m.id === nameOrArn)
      : machines.length === 1
        ? machines[0]
        : undefined;
    if (!found)
      throw new RuntimeError(
        `state machine ${nameOrArn ?? "(default)"} not found; have ${machines.map((m) => m.name).join(", ")}`,
      );
    return found;
  }

  startExecution(stateMachine: string | undefined, input: unknown, name?: string) {
    const machine = this.stateMachine(stateMachine);
    const access = this.requireAccess();
    const runTask = createTaskRunner({
      roleArn: machine.roleArn,
      access,
      functionArn: (name) => this.functionArnOf(name),
      invokeFunction: (fn, payload) => this.invoke(fn, payload),
      runEcsTask: createEcsTaskRunner({
        stack: this.stack,
        repoRoot: this.options.repoRoot,
        log: this.log,
        access,
        roleArn: machine.roleArn,
      }),
    });
    const started = startExecution(machine, { history: this.history, runTask }, { input, name });
    this.running.add(started.done);
    void started.done.finally(() => this.running.delete(started.done));
    return started;
  }

  /**
   * Delivers the S3 notifications the emulator has queued now, and their retries (tests wait
   * for them with it): resolves when each succeeded or Lambda gave up on it.
   */
  async settleS3(): Promise<void> {
    await this.s3Notifications?.settle();
  }

  /**
   * Lambda's Invoke with InvocationType Event: over 256 KB refused with
   * RequestEntityTooLargeException, else queued and run with Lambda's asynchronous rules
   * (retries, maximum event age, on-failure destination). Offline only functions an S3
   * notification or a schedule targets have an asynchronous queue (started by {@link start}).
   */
  async invokeAsync(functionName: string, event: unknown): Promise<{ requestId: string }> {
    const arn = this.functionArnOf(functionName);
    if (!this.s3Notifications)
      throw new RuntimeError(
        `${functionName}: no asynchronous queue (the runtime is not started, or no S3 notification or schedule targets it)`,
      );
    return this.s3Notifications.invokeAsync(arn, event);
  }

  /**
   * Stops as Lambda shuts its pollers and sandboxes down: nothing new is polled from here on,
   * the invocations under way get `graceMs` to finish, then every sandbox is killed — a Kafka
   * batch not committed by then is delivered again on the next start, an S3 event or SQS
   * message comes back on its queue. (Waiting for them instead took minutes under load: a
   * stuck batch ran to its timeout, then retried, behind the other partitions' batches.)
   */
  async stop(graceMs = STOP_GRACE_MS): Promise<void> {
    this.scheduler.stop();
    const triggers = Promise.all([
      ...this.kafkaMappings.map((m) => m.stop()),
      ...this.queuePollers.map((p) => p.stop()),
      this.s3Notifications?.stop(),
      Promise.allSettled([...this.running]),
    ]);
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      triggers.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), graceMs);
      }),
    ]);
    clearTimeout(timer);
    if (!finished)
      this.log(
        `stopping: invocations still running after ${graceMs / 1000} s are killed (not committed: delivered again on the next start)`,
      );
    await Promise.all([...this.functions.values()].map((f) => f.stop()));
    await triggers;
    await this.access?.close();
    const stats = this.functionStats();
    // For the benchmark (bench/runtime-process.ts), which runs the runtime as `local up`.
    mkdirSync(this.options.stateDir, { recursive: true });
    writeFileSync(functionStatsFile(this.options.stateDir), `${JSON.stringify(stats, null, 2)}\n`);
    for (const [name, f] of Object.entries(stats).filter(([, f]) => f.invocations > 0))
      this.log(
        `${name}: ${f.invocations} invocations (${f.errors} failed), ${f.coldStarts} cold starts, at most ${f.peakConcurrency} at once of ${f.concurrency}${f.throttles ? `, ${f.throttles} throttled` : ""}`,
      );
  }

  /** A function of the template by its physical name. */
  private functionSpec(functionName: string): FunctionSpec {
    const found = this.stack.functions.find((f) => f.functionName === functionName);
    if (!found) throw new RuntimeError(`no function ${functionName} in the template`);
    return found;
  }

  private functionArnOf(functionName: string): string {
    return this.functionSpec(functionName).functionArn;
  }

  /** A function's execution role. */
  private roleOf(functionName: string): string {
    return this.functionSpec(functionName).roleArn;
  }

  private readonly clientsByRole = new Map<string, DestinationClients>();

  /** S3, SQS and SNS clients acting as the role (through the IAM gateway when it is enforced). */
  private clientsAs(roleArn: string): DestinationClients {
    let clients = this.clientsByRole.get(roleArn);
    if (!clients) {
      const config = this.requireAccess().clientConfig(roleArn);
      clients = {
        s3: new S3Client({ ...config, forcePathStyle: true }),
        sqs: new SQSClient(config),
        sns: new SNSClient(config),
      };
      this.clientsByRole.set(roleArn, clients);
    }
    return clients;
  }

  /** A call S3 makes as its service principal for a notification of `bucket`. */
  private fromBucket(bucket: string, action: string, resource: string): AccessRequest {
    return {
      principal: "s3.amazonaws.com",
      action,
      resource,
      context: { "aws:SourceArn": `arn:aws:s3:::${bucket}`, "aws:SourceAccount": LOCAL_ACCOUNT },
    };
  }

  private queueUrl(name: string): string {
    return `${localEndpoints().awsEndpoint}/${LOCAL_ACCOUNT}/${name}`;
  }
}

/** How long {@link LocalRuntime.stop} lets the invocations under way finish before it kills their sandboxes. */
export const STOP_GRACE_MS = 5_000;

/** Where a stopped runtime leaves its functions' {@link FunctionStats}. */
export function functionStatsFile(stateDir: string): string {
  return join(stateDir, "function-stats.json");
}

/** How Lambda's pollers and event queues invoke: a throttled invocation waits for a sandbox. */
const POLLED: InvokeOptions = { whenThrottled: "wait" };

/** Lambda's SQS pollers at the start (it adds more as the queue stays full, up to the concurrency). */
const SQS_POLLERS_AT_START = 5;

export interface FunctionStats {
  /** What it may run at once: its reserved concurrency, else the offline default. */
  readonly concurrency: number;
  readonly invocations: number;
  readonly errors: number;
  readonly coldStarts: number;
  readonly throttles: number;
  readonly peakConcurrency: number;
}

/** Each S3 notification's delay (ms from the object's write to the invocation), one a line; the bench reads it. */
export function s3NotificationDelaysFile(stateDir: string): string {
  return join(stateDir, "s3-notification-delays.log");
}

/** Lambda's answer to an Invoke of a function that does not exist (404, a client error). */
function resourceNotFound(message: string): Error {
  const error = Object.assign(new Error(message), {
    $fault: "client",
    $metadata: { httpStatusCode: 404 },
  });
  error.name = "ResourceNotFoundException";
  return error;
}

/** Custom resources backed by one of our functions (directly or through CDK's provider framework). */
function customResources(stack: LocalStack): CustomResourceCall[] {
  const calls: CustomResourceCall[] = [];
  const byName = new Map(stack.functions.map((f) => [f.functionName, f]));
  for (const [logicalId, resource] of Object.entries(stack.context.template.Resources)) {
    if (!resource.Type.startsWith("Custom::") && resource.Type !== "AWS::CloudFormation::CustomResource")
      continue;
    if (resource.Type === "Custom::S3BucketNotifications") continue;
    const token = resource.Properties?.ServiceToken as { "Fn::GetAtt"?: [string, string] } | undefined;
    const targetId = token?.["Fn::GetAtt"]?.[0];
    if (!targetId) continue;
    const serviceToken = arnOf(stack.context, targetId);
    let functionName = lastArnPart(serviceToken);
    if (!byName.has(functionName)) {
      // CDK's provider framework: its onEvent function names ours in USER_ON_EVENT_FUNCTION_ARN.
      const env = (
        stack.context.template.Resources[targetId]?.Properties?.Environment as {
          Variables?: Record<string, unknown>;
        }
      )?.Variables;
      const user = env?.USER_ON_EVENT_FUNCTION_ARN as { "Fn::GetAtt"?: [string, string] } | undefined;
      const userId = user?.["Fn::GetAtt"]?.[0];
      if (!userId) continue;
      functionName = lastArnPart(arnOf(stack.context, userId));
      if (!byName.has(functionName)) continue;
    }
    const { ServiceToken: _token, ...rest } = (resource.Properties ?? {}) as Record<string, unknown>;
    calls.push({ logicalId, type: resource.Type, functionName, serviceToken, properties: rest });
  }
  return calls;
}
