/**
 * What CloudFormation (through the Lambda and Step Functions APIs) refuses at deploy time,
 * refused offline too: a template the local runtime runs must be one AWS would create.
 * Every violation is collected, so one failed deploy lists them all, each under the
 * resource's logical id and, where AWS has one, in AWS's own wording.
 *
 * Bounds, from the AWS documentation:
 * - Lambda API reference, CreateEventSourceMapping: BatchSize "Amazon Managed Streaming for
 *   Apache Kafka – Default 100. Max 10,000", "Self-managed Apache Kafka – Default 100. Max
 *   10,000", "Amazon Simple Queue Service – Default 10. For standard queues the max is 10,000.
 *   For FIFO queues the max is 10" (valid range 1–10,000); MaximumBatchingWindowInSeconds
 *   0–300; MaximumRetryAttempts −1 (infinite) to 10,000 for Kafka; ConsumerGroupId 1–200
 *   characters, pattern `[a-zA-Z0-9-\/*:_+=.@-]*`.
 * - Lambda developer guide, "Using Lambda with Amazon SQS": "If you're using a batch window
 *   and your batch size is greater than 10, you must set the batch window to at least 1 second"
 *   (API message: "Maximum batch window in seconds must be greater than 0 if maximum batch
 *   size is greater than 10").
 * - Lambda developer guide, MSK and self-managed Kafka consumer group ids: "The consumer group
 *   ID must be unique among all your Kafka event sources"; with an on-failure destination the
 *   retries are capped at 10 (shared ARCHITECTURE, Facts from the field).
 * - Lambda quotas: function timeout 900 seconds (15 minutes), memory 128 MB to 10,240 MB;
 *   CreateFunction: Timeout minimum 1. Concurrent executions 1,000 per account and Region
 *   (the default quota); PutFunctionConcurrency: ReservedConcurrentExecutions ≥ 0, and the
 *   account keeps at least 100 unreserved ("Specified ReservedConcurrentExecutions for
 *   function decreases account's UnreservedConcurrentExecution below its minimum value of
 *   [100]."). CreateEventSourceMapping ScalingConfig.MaximumConcurrency 2–1,000.
 * - AWS::StepFunctions::StateMachine: a Definition, DefinitionString or DefinitionS3Location.
 * - AWS::Lambda::EventInvokeConfig (PutFunctionEventInvokeConfig): MaximumRetryAttempts 0–2,
 *   MaximumEventAgeInSeconds 60–21,600.
 * - AWS::Scheduler::Schedule (EventBridge Scheduler API reference, CreateSchedule, RetryPolicy,
 *   DeadLetterConfig, FlexibleTimeWindow): FlexibleTimeWindow required, MaximumWindowInMinutes
 *   1–1,440 when FLEXIBLE; Target.RetryPolicy MaximumRetryAttempts 0–185 and
 *   MaximumEventAgeInSeconds 60–86,400; Target.DeadLetterConfig.Arn an SQS queue ARN
 *   (`arn:aws(-[a-z]+)?:sqs:[a-z0-9\-]+:\d{12}:[a-zA-Z0-9\-_]+`).
 */

import { PipelineError } from "../../core/errors.ts";
import { ASYNC_INVOKE_LIMITS } from "./functions/async-invoke.ts";
import type { LocalStack } from "./template-reader.ts";
import { assertValidSchedule } from "./triggers/schedule.ts";

/** What CloudFormation reports when a stack cannot be created: every refused resource. */
export class DeployError extends PipelineError {
  readonly violations: readonly Violation[];
  constructor(stackName: string, violations: readonly Violation[]) {
    super(
      `${stackName}: CREATE_FAILED, ${violations.length} resource(s) AWS would refuse:\n` +
        violations.map((v) => `  ${v.logicalId}: ${v.message}`).join("\n"),
    );
    this.violations = violations;
  }
}

export interface Violation {
  /** The template's logical id of the refused resource. */
  readonly logicalId: string;
  readonly message: string;
}

export const LIMITS = {
  scheduleRetryAttempts: { min: 0, max: 185 },
  scheduleEventAgeSeconds: { min: 60, max: 86_400 },
  kafkaBatchSize: { min: 1, max: 10_000 },
  sqsStandardBatchSize: { min: 1, max: 10_000 },
  sqsFifoBatchSize: { min: 1, max: 10 },
  /** Above this many messages an SQS mapping needs a batching window of at least 1 s. */
  sqsBatchWithoutWindow: 10,
  batchingWindowSeconds: { min: 0, max: 300 },
  kafkaRetryAttempts: { min: -1, max: 10_000 },
  kafkaRetryAttemptsWithDestination: { min: -1, max: 10 },
  consumerGroupIdLength: { min: 1, max: 200 },
  functionTimeoutSeconds: { min: 1, max: 900 },
  functionMemoryMb: { min: 128, max: 10_240 },
  /** The account's default concurrency quota less the 100 it must keep unreserved. */
  reservedConcurrencyInAccount: { min: 0, max: 900 },
  sqsMaximumConcurrency: { min: 2, max: 1_000 },
} as const;

/** What Scheduler's DeadLetterConfig.Arn must match: a standard SQS queue of the account. */
const SQS_QUEUE_ARN = /^arn:aws(-[a-z]+)?:sqs:[a-z0-9-]+:\d{12}:[a-zA-Z0-9\-_]+$/;

const CONSUMER_GROUP_ID = /^[a-zA-Z0-9\-/*:_+=.@]*$/;

/** Throws one {@link DeployError} listing everything in the stack AWS would refuse to create. */
export function checkStack(stack: LocalStack): void {
  const violations = [
    ...checkKafkaMappings(stack),
    ...checkQueueMappings(stack),
    ...checkFunctions(stack),
    ...checkEventInvokeConfigs(stack),
    ...checkStateMachines(stack),
    ...checkSchedules(stack),
    ...checkScheduleTargets(stack),
  ];
  if (violations.length > 0) throw new DeployError(stack.stackName, violations);
}

/** EventBridge Scheduler's own validation (core/schedule), as CreateSchedule would answer it. */
function checkSchedules(stack: LocalStack): Violation[] {
  const violations: Violation[] = [];
  for (const schedule of stack.schedules) {
    try {
      assertValidSchedule({
        id: schedule.id,
        expression: schedule.expression,
        timezone: schedule.timezone,
        flexibleTimeWindow: schedule.flexibleTimeWindow,
        startDate: schedule.startDate ? new Date(schedule.startDate) : undefined,
        endDate: schedule.endDate ? new Date(schedule.endDate) : undefined,
      });
    } catch (error) {
      violations.push({ logicalId: schedule.id, message: (error as Error).message });
    }
    if (schedule.deadLetterArn !== undefined && !SQS_QUEUE_ARN.test(schedule.deadLetterArn))
      violations.push({
        logicalId: schedule.id,
        message: `ValidationException: 1 validation error detected: Value '${schedule.deadLetterArn}' at 'target.deadLetterConfig.arn' failed to satisfy constraint: Member must satisfy regular expression pattern: ${SQS_QUEUE_ARN.source}`,
      });
  }
  return violations;
}

function checkKafkaMappings(stack: LocalStack): Violation[] {
  const violations: Violation[] = [];
  const owners = new Map<string, string[]>();
  for (const m of stack.kafkaMappings) {
    const refuse = (message: string) => violations.push({ logicalId: m.id, message });
    owners.set(m.groupId, [...(owners.get(m.groupId) ?? []), m.id]);
    const range = outOfRange("batchSize", m.batchSize, LIMITS.kafkaBatchSize);
    if (range) refuse(range);
    const window = outOfRange(
      "maximumBatchingWindowInSeconds",
      m.batchingWindowMs / 1000,
      LIMITS.batchingWindowSeconds,
    );
    if (window) refuse(window);
    const retries = outOfRange(
      "maximumRetryAttempts",
      m.maxRetryAttempts,
      m.onFailureArn ? LIMITS.kafkaRetryAttemptsWithDestination : LIMITS.kafkaRetryAttempts,
    );
    if (retries) refuse(m.onFailureArn ? `${retries} (with an on-failure destination)` : retries);
    const { min, max } = LIMITS.consumerGroupIdLength;
    if (m.groupId.length < min || m.groupId.length > max || !CONSUMER_GROUP_ID.test(m.groupId))
      refuse(
        `1 validation error detected: Value '${m.groupId}' at 'consumerGroupId' failed to satisfy constraint: ` +
          `Member must have length between ${min} and ${max} and match pattern [a-zA-Z0-9-\\/*:_+=.@-]*`,
      );
  }
  for (const [groupId, ids] of owners) {
    if (ids.length < 2) continue;
    for (const id of ids)
      violations.push({
        logicalId: id,
        message:
          `consumer group id '${groupId}' is also used by ${ids.filter((other) => other !== id).join(", ")}: ` +
          "the consumer group ID must be unique among all your Kafka event sources",
      });
  }
  return violations;
}

function checkQueueMappings(stack: LocalStack): Violation[] {
  const violations: Violation[] = [];
  for (const q of stack.queueMappings) {
    const refuse = (message: string) => violations.push({ logicalId: q.id, message });
    const fifo = q.queueArn.endsWith(".fifo");
    const range = outOfRange(
      "batchSize",
      q.batchSize,
      fifo ? LIMITS.sqsFifoBatchSize : LIMITS.sqsStandardBatchSize,
    );
    if (range) refuse(range);
    const window = outOfRange(
      "maximumBatchingWindowInSeconds",
      q.batchingWindowMs / 1000,
      LIMITS.batchingWindowSeconds,
    );
    if (window) refuse(window);
    if (q.maximumConcurrency !== undefined) {
      const scaling = outOfRange("maximumConcurrency", q.maximumConcurrency, LIMITS.sqsMaximumConcurrency);
      if (scaling) refuse(scaling);
    }
    if (q.batchSize > LIMITS.sqsBatchWithoutWindow && q.batchingWindowMs < 1000)
      refuse(
        "Invalid request provided: Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10",
      );
  }
  return violations;
}

/** Every function of the template (CDK's own helpers too: AWS refuses theirs alike). */
function checkFunctions(stack: LocalStack): Violation[] {
  const violations: Violation[] = [];
  let reserved = 0;
  for (const [logicalId, resource] of Object.entries(stack.context.template.Resources)) {
    if (resource.Type !== "AWS::Lambda::Function") continue;
    const p = resource.Properties ?? {};
    if (p.ReservedConcurrentExecutions !== undefined) {
      const concurrency = Number(p.ReservedConcurrentExecutions);
      reserved += concurrency;
      const negative = outOfRange("reservedConcurrentExecutions", concurrency, {
        ...LIMITS.reservedConcurrencyInAccount,
        max: Number.POSITIVE_INFINITY,
      });
      if (negative) violations.push({ logicalId, message: negative });
      // The whole stack's reservations against one account's quota: the function that crosses it is refused.
      else if (reserved > LIMITS.reservedConcurrencyInAccount.max)
        violations.push({
          logicalId,
          message:
            "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [100].",
        });
    }
    const timeout = outOfRange("timeout", Number(p.Timeout ?? 3), LIMITS.functionTimeoutSeconds);
    if (timeout) violations.push({ logicalId, message: timeout });
    const memory = outOfRange("memorySize", Number(p.MemorySize ?? 128), LIMITS.functionMemoryMb);
    if (memory) violations.push({ logicalId, message: memory });
  }
  return violations;
}

function checkEventInvokeConfigs(stack: LocalStack): Violation[] {
  const violations: Violation[] = [];
  for (const [logicalId, resource] of Object.entries(stack.context.template.Resources)) {
    if (resource.Type !== "AWS::Lambda::EventInvokeConfig") continue;
    const p = resource.Properties ?? {};
    const retries =
      p.MaximumRetryAttempts === undefined
        ? undefined
        : outOfRange(
            "maximumRetryAttempts",
            Number(p.MaximumRetryAttempts),
            ASYNC_INVOKE_LIMITS.maxRetryAttempts,
          );
    if (retries) violations.push({ logicalId, message: retries });
    const age =
      p.MaximumEventAgeInSeconds === undefined
        ? undefined
        : outOfRange(
            "maximumEventAgeInSeconds",
            Number(p.MaximumEventAgeInSeconds),
            ASYNC_INVOKE_LIMITS.maxEventAgeSeconds,
          );
    if (age) violations.push({ logicalId, message: age });
  }
  return violations;
}

/** A schedule's FlexibleTimeWindow (required) and its target's RetryPolicy bounds, as CreateSchedule checks them. */
function checkScheduleTargets(stack: LocalStack): Violation[] {
  const violations: Violation[] = [];
  for (const [logicalId, resource] of Object.entries(stack.context.template.Resources)) {
    if (resource.Type !== "AWS::Scheduler::Schedule") continue;
    const p = resource.Properties ?? {};
    if (p.FlexibleTimeWindow === undefined)
      violations.push({
        logicalId,
        message: "Properties validation failed: required key [FlexibleTimeWindow] not found",
      });
    const retry = ((p.Target ?? {}) as { RetryPolicy?: Record<string, unknown> }).RetryPolicy ?? {};
    for (const [key, member, limits] of [
      ["MaximumRetryAttempts", "target.retryPolicy.maximumRetryAttempts", LIMITS.scheduleRetryAttempts],
      [
        "MaximumEventAgeInSeconds",
        "target.retryPolicy.maximumEventAgeInSeconds",
        LIMITS.scheduleEventAgeSeconds,
      ],
    ] as const) {
      if (retry[key] === undefined) continue;
      const refused = outOfRange(member, Number(retry[key]), limits);
      if (refused) violations.push({ logicalId, message: `ValidationException: ${refused}` });
    }
  }
  return violations;
}

function checkStateMachines(stack: LocalStack): Violation[] {
  const violations: Violation[] = [];
  for (const [logicalId, resource] of Object.entries(stack.context.template.Resources)) {
    if (resource.Type !== "AWS::StepFunctions::StateMachine") continue;
    const p = resource.Properties ?? {};
    if (
      p.Definition === undefined &&
      p.DefinitionString === undefined &&
      p.DefinitionS3Location === undefined
    )
      violations.push({
        logicalId,
        message:
          "Properties validation failed: one of Definition, DefinitionString or DefinitionS3Location is required",
      });
  }
  for (const machine of stack.stateMachines) {
    const states = machine.definition.States;
    if (typeof machine.definition.StartAt !== "string" || !states || typeof states !== "object")
      violations.push({
        logicalId: machine.id,
        message: "Invalid State Machine Definition: the definition needs StartAt and States",
      });
  }
  return violations;
}

/** The Lambda API's own wording for a parameter outside its range, or undefined when inside. */
function outOfRange(member: string, value: number, { min, max }: { min: number; max: number }) {
  if (Number.isNaN(value) || value < min)
    return `1 validation error detected: Value '${value}' at '${member}' failed to satisfy constraint: Member must have value greater than or equal to ${min}`;
  if (value > max)
    return `1 validation error detected: Value '${value}' at '${member}' failed to satisfy constraint: Member must have value less than or equal to ${max}`;
  return undefined;
}
