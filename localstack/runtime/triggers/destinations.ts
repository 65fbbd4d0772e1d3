/**
 * Where Lambda sends what it gave up on, written as Lambda writes it and as the function's
 * execution role (the clients act as it, through the IAM gateway): the on-failure destination
 * of a Kafka event source mapping (an invocation record with the request context and, for S3,
 * the whole failed batch), the on-failure destination of asynchronous invocations
 * (`AWS::Lambda::EventInvokeConfig`: AWS's invocation record with the request and response
 * payloads) and a function's dead-letter queue (`DeadLetterConfig`: the event alone, with
 * Lambda's RequestID/ErrorCode/ErrorMessage attributes). One transport per destination kind
 * (S3 bucket, SQS queue, SNS topic); a kind that does not run offline is refused, not faked.
 */
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { s3, sqs } from "../../../core/aws/clients.ts";
import { LOCAL_ACCOUNT } from "../../../core/config/index.ts";
import { RuntimeError } from "../errors.ts";

/** The clients a destination writes with: in AWS, Lambda writes as the function's execution role. */
export interface DestinationClients {
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly sns?: SNSClient;
}

export interface FailedBatch {
  readonly mappingId: string;
  readonly functionName: string;
  readonly event: unknown;
  readonly error: string;
}

/**
 * AWS's record of an asynchronous invocation Lambda gave up on (Lambda developer guide,
 * "Capturing records of Lambda asynchronous invocations").
 */
export interface AsyncInvocationRecord {
  readonly version: "1.0";
  readonly timestamp: string;
  readonly requestContext: {
    readonly requestId: string;
    readonly functionArn: string;
    readonly condition: "RetriesExhausted" | "EventAgeExceeded";
    readonly approximateInvokeCount: number;
  };
  readonly requestPayload: unknown;
  /** The last attempt's response; absent when the event expired before any attempt answered. */
  readonly responseContext?: {
    readonly statusCode: number;
    readonly executedVersion: string;
    readonly functionError: "Unhandled";
  };
  readonly responsePayload?: { readonly errorType: string; readonly errorMessage: string };
}

export interface FailureDestination {
  readonly arn: string;
  /** A Kafka mapping's failed batch. */
  send(batch: FailedBatch): Promise<void>;
  /** An asynchronous invocation's record, for the function it failed. */
  sendInvocationRecord(functionName: string, record: AsyncInvocationRecord): Promise<void>;
}

/** Lambda's dead-letter queue of a function: the event that failed, as it was sent. */
export interface DeadLetterQueue {
  readonly arn: string;
  send(
    event: unknown,
    failure: { requestId: string; errorCode: number; errorMessage: string },
  ): Promise<void>;
}

function mappingRecord(batch: FailedBatch, withPayload: boolean) {
  return {
    version: "1.0",
    timestamp: new Date().toISOString(),
    requestContext: {
      requestId: crypto.randomUUID(),
      functionArn: `arn:aws:lambda:local:${LOCAL_ACCOUNT}:function:${batch.functionName}`,
      condition: "RetryAttemptsExhausted",
      approximateInvokeCount: 1,
    },
    responseContext: { statusCode: 200, functionError: "Unhandled", errorMessage: batch.error },
    ...(withPayload ? { payload: batch.event } : {}),
  };
}

/** `<prefix>/YYYY/MM/DD/<ISO time>-<uuid>.json`, as the destination's S3 objects are keyed. */
function datedKey(prefix: string): string {
  const now = new Date();
  const day = now.toISOString().slice(0, 10).replaceAll("-", "/");
  return `${prefix}/${day}/${now.toISOString()}-${crypto.randomUUID()}.json`;
}

/** SQS/SNS message attributes: name → [DataType, value]. */
type Attributes = Record<string, readonly ["String" | "Number", string]>;
type Transport = (body: string, s3Key: () => string, attributes?: Attributes) => Promise<void>;

/** Writes a body to an S3 bucket, SQS queue or SNS topic ARN, as the clients' role. */
function transport(
  arn: string,
  queueUrl: (name: string) => string,
  clients: DestinationClients,
  what: string,
  kinds: readonly string[],
): Transport {
  const [, , service, , , resource] = arn.split(":");
  if (!kinds.includes(service ?? ""))
    throw new RuntimeError(
      `${what} ${arn}: only ${kinds.map((k) => k.toUpperCase()).join(" and ")} destinations run locally`,
    );
  const asAttributes = (attributes: Attributes = {}) =>
    Object.fromEntries(
      Object.entries(attributes).map(([name, [type, value]]) => [
        name,
        { DataType: type, StringValue: value },
      ]),
    );
  if (service === "s3")
    return async (body, s3Key) => {
      await clients.s3.send(
        new PutObjectCommand({
          Bucket: resource ?? "",
          Key: s3Key(),
          Body: body,
          ContentType: "application/json",
        }),
      );
    };
  if (service === "sqs") {
    const url = queueUrl(resource ?? "");
    return async (body, _key, attributes) => {
      await clients.sqs.send(
        new SendMessageCommand({
          QueueUrl: url,
          MessageBody: body,
          MessageAttributes: asAttributes(attributes),
        }),
      );
    };
  }
  const sns = clients.sns;
  if (!sns) throw new RuntimeError(`${what} ${arn}: no SNS client to publish with`);
  return async (body, _key, attributes) => {
    await sns.send(
      new PublishCommand({ TopicArn: arn, Message: body, MessageAttributes: asAttributes(attributes) }),
    );
  };
}

/**
 * An on-failure destination from its ARN: S3 bucket, SQS queue or SNS topic (what Lambda
 * offers for Kafka mappings; asynchronous invocations may also name a function or an event
 * bus, which do not run offline and are refused here, at start).
 */
export function destinationFromArn(
  arn: string,
  queueUrl: (name: string) => string,
  clients: DestinationClients = { s3: s3(), sqs: sqs() },
): FailureDestination {
  const write = transport(arn, queueUrl, clients, "on-failure destination", ["s3", "sqs", "sns"]);
  const toS3 = arn.split(":")[2] === "s3";
  return {
    arn,
    // Only an S3 destination gets the batch itself (Lambda's SQS and SNS records carry its metadata).
    send: (batch) =>
      write(JSON.stringify(mappingRecord(batch, toS3)), () => datedKey(`aws/lambda/${batch.mappingId}`)),
    sendInvocationRecord: (functionName, record) =>
      write(JSON.stringify(record), () => datedKey(`aws/lambda/async/${functionName}`)),
  };
}

/** A function's dead-letter queue (DeadLetterConfig.TargetArn: an SQS queue or SNS topic). */
export function deadLetterQueueFromArn(
  arn: string,
  queueUrl: (name: string) => string,
  clients: DestinationClients,
): DeadLetterQueue {
  const write = transport(arn, queueUrl, clients, "dead-letter queue", ["sqs", "sns"]);
  return {
    arn,
    send: (event, failure) =>
      write(JSON.stringify(event), () => "", {
        RequestID: ["String", failure.requestId],
        ErrorCode: ["Number", String(failure.errorCode)],
        // Lambda sends the first 1 KB of the error message.
        ErrorMessage: ["String", failure.errorMessage.slice(0, 1024)],
      }),
  };
}
