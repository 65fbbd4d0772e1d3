/**
 * On-failure destinations of event source mappings, as Lambda writes them: an invocation
 * record with the request context and, for S3, the whole failed batch.
 */
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { s3, sqs } from "../../../core/aws/clients.ts";
import { LOCAL_ACCOUNT } from "../../../core/config/index.ts";
import { RuntimeError } from "../errors.ts";

/** The clients a destination writes with: in AWS, Lambda writes as the function's execution role. */
export interface DestinationClients {
  readonly s3: S3Client;
  readonly sqs: SQSClient;
}

export interface FailedBatch {
  readonly mappingId: string;
  readonly functionName: string;
  readonly event: unknown;
  readonly error: string;
}

export interface FailureDestination {
  readonly arn: string;
  send(batch: FailedBatch): Promise<void>;
}

function invocationRecord(batch: FailedBatch, withPayload: boolean) {
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

/** A destination from its ARN (S3 bucket, SQS queue); other kinds are reported, not faked. */
export function destinationFromArn(
  arn: string,
  queueUrl: (name: string) => string,
  clients: DestinationClients = { s3: s3(), sqs: sqs() },
): FailureDestination {
  const [, , service, , , resource] = arn.split(":");
  if (service === "s3") {
    const bucket = resource ?? "";
    return {
      arn,
      async send(batch) {
        const now = new Date();
        const day = now.toISOString().slice(0, 10).replaceAll("-", "/");
        await clients.s3.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: `aws/lambda/${batch.mappingId}/${day}/${now.toISOString()}-${crypto.randomUUID()}.json`,
            Body: JSON.stringify(invocationRecord(batch, true)),
            ContentType: "application/json",
          }),
        );
      },
    };
  }
  if (service === "sqs") {
    const url = queueUrl(resource ?? "");
    return {
      arn,
      async send(batch) {
        await clients.sqs.send(
          new SendMessageCommand({
            QueueUrl: url,
            MessageBody: JSON.stringify(invocationRecord(batch, false)),
          }),
        );
      },
    };
  }
  throw new RuntimeError(`on-failure destination ${arn}: only S3 and SQS destinations run locally`);
}
