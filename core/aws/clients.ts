/**
 * AWS SDK v3 clients, created once per process and reused across Lambda invocations.
 * The SDK reads `AWS_ENDPOINT_URL` itself; we only add path-style addressing for S3 when an
 * emulator endpoint is set (emulators don't serve virtual-hosted bucket names on 127.0.0.1).
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SFNClient } from "@aws-sdk/client-sfn";
import { SQSClient } from "@aws-sdk/client-sqs";

const cache = new Map<string, unknown>();

function once<T>(name: string, create: () => T): T {
  if (!cache.has(name)) cache.set(name, create());
  return cache.get(name) as T;
}

const usesEmulator = () => Boolean(process.env.AWS_ENDPOINT_URL);

export const s3 = (): S3Client => once("s3", () => new S3Client({ forcePathStyle: usesEmulator() }));
export const sqs = (): SQSClient => once("sqs", () => new SQSClient({}));
export const dynamodb = (): DynamoDBClient => once("dynamodb", () => new DynamoDBClient({}));
export const secretsManager = (): SecretsManagerClient =>
  once("secretsmanager", () => new SecretsManagerClient({}));
export const stepFunctions = (): SFNClient => once("sfn", () => new SFNClient({}));

/** Forget cached clients (tests that change the environment between cases). */
export function resetAwsClients(): void {
  for (const client of cache.values()) (client as { destroy?: () => void }).destroy?.();
  cache.clear();
}
