/**
 * What an administrator does once before the pipeline runs on Snowflake (docs/DEPLOY.md:
 * "Snowflake setup"), done on the offline service: a key pair generated for the service user,
 * the warehouse secret filled with it and the offline endpoint, then the setup SQL as fakesnow
 * takes it — the database, the raw schema's tables and manifest, and the stage on the raw
 * bucket. fakesnow checks no credentials and has no warehouse, role, user or storage
 * integration objects: those statements of DEPLOY.md have no offline counterpart (the stage
 * reads the emulator's bucket directly). The key still goes the production way: the loaders
 * and dbt read it from Secrets Manager and authenticate with SNOWFLAKE_JWT.
 */
import { generateKeyPairSync } from "node:crypto";
import { PutSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import { secretsManager } from "../../../core/aws/clients.ts";
import { snowflakeExecutor } from "../../../core/warehouse/snowflake/connection.ts";
import { snowflakeRawDdl } from "../../../core/warehouse/snowflake/sql.ts";
import { SNOWFLAKE_EMULATOR_ACCOUNT } from "./snowflake.ts";

/** The service user's secret (the JSON core/warehouse/snowflake reads), pointed at the offline service. */
export function offlineSnowflakeSecret(port: number) {
  const { privateKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  return {
    account: SNOWFLAKE_EMULATOR_ACCOUNT,
    username: "PIPELINE",
    privateKey,
    warehouse: "TRANSFORMING",
    database: "PIPELINE",
    role: "TRANSFORMER",
    host: "127.0.0.1",
    port,
    protocol: "http",
  };
}

export interface OfflineSnowflakeSetup {
  /** The raw schema (lowercase, as RAW_SCHEMA). */
  readonly rawSchema: string;
  /** The stage the loader COPYs from (SNOWFLAKE_STAGE), e.g. `RAW.LAKE_STAGE`. */
  readonly stage: string;
  /** The raw bucket: the stage's URL is its root. */
  readonly bucket: string;
}

/** A stage name as copyIntoSql takes it, and an S3 bucket name: checked before they reach SQL. */
const STAGE_NAME = /^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*){0,2}$/;
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** DEPLOY.md's setup SQL as the offline service takes it. */
export function offlineSnowflakeSetupSql({ rawSchema, stage, bucket }: OfflineSnowflakeSetup): string[] {
  if (!STAGE_NAME.test(stage)) throw new RangeError(`invalid stage name "${stage}"`);
  if (!BUCKET_NAME.test(bucket)) throw new RangeError(`invalid bucket name "${bucket}"`);
  return [
    "create database if not exists PIPELINE",
    ...snowflakeRawDdl(rawSchema),
    `create stage if not exists ${stage} url = 's3://${bucket}/'`,
  ];
}

/** Fills the secret `secretId` (as the operator) with a new key pair and runs the setup SQL through it. */
export async function setUpOfflineSnowflake(
  options: OfflineSnowflakeSetup & { readonly secretId: string; readonly port: number },
): Promise<void> {
  await secretsManager().send(
    new PutSecretValueCommand({
      SecretId: options.secretId,
      SecretString: JSON.stringify(offlineSnowflakeSecret(options.port)),
    }),
  );
  const execute = await snowflakeExecutor(options.secretId, options.rawSchema);
  for (const sql of offlineSnowflakeSetupSql(options)) await execute(sql);
}
