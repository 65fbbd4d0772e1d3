/**
 * Warehouse: where loaded data and dbt models live, and the credentials to reach it.
 *
 * - `snowflake`: a Secrets Manager secret holding the key-pair credentials of the service
 *   user (JSON: account, username, privateKey, privateKeyPassphrase?, warehouse, database,
 *   role) — the shape core/warehouse/snowflake reads. The stack creates it with placeholder
 *   values; docs/DEPLOY.md shows the setup SQL and the `put-secret-value` that fills it.
 *   The local target makes the same secret (named `secretName`) and wiring: the demo fills it
 *   with a generated key pair and the offline service's host, port and protocol, which the dbt
 *   container then takes from the secret too (`endpointInSecret`).
 * - `postgres`: a secret in the RDS shape (host, port, username, password, dbname) for an
 *   existing PostgreSQL (the functions read it at connect time: `DATABASE_SECRET_ARN`), or —
 *   local target — a plain connection URL for the offline one.
 */
import type { RemovalPolicy } from "aws-cdk-lib";
import * as ecs from "aws-cdk-lib/aws-ecs";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as s3 from "aws-cdk-lib/aws-s3";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import { Construct } from "constructs";

export interface WarehouseProps {
  readonly target: "postgres" | "snowflake";
  /**
   * Local target only: the offline PostgreSQL URL, passed as plain environment (no secret).
   * Ignored for Snowflake, whose credentials are always in Secrets Manager.
   * @default undefined (credentials in Secrets Manager)
   */
  readonly localDatabaseUrl?: string;
  /** The secret's name (the local target's fixed one, which the demo fills). @default generated */
  readonly secretName?: string;
  /**
   * Snowflake: the secret also holds the endpoint (host, port, protocol — the offline service)
   * and the dbt container gets them from it as SNOWFLAKE_HOST/PORT/PROTOCOL. Local target only:
   * in AWS those keys are absent (ECS fails a task whose secret lacks a referenced JSON key).
   * @default false
   */
  readonly endpointInSecret?: boolean;
  /** Snowflake external stage over the raw bucket (see docs/DEPLOY.md). @default "RAW.LAKE_STAGE" */
  readonly snowflakeStage?: string;
  /**
   * Snowflake's storage integration principal (DESC INTEGRATION: STORAGE_AWS_IAM_USER_ARN and
   * STORAGE_AWS_EXTERNAL_ID). When given, the stack creates the role the integration assumes
   * (named `roleName`), allowed to read the raw bucket's `raw/` objects only.
   * @default no role (create it by hand, docs/DEPLOY.md)
   */
  readonly snowflakeIntegration?: {
    readonly iamUserArn: string;
    readonly externalId: string;
    readonly roleName: string;
    readonly rawBucket: s3.IBucket;
  };
  /** @default RemovalPolicy.RETAIN (CDK default for secrets) */
  readonly removalPolicy?: RemovalPolicy;
}

const SNOWFLAKE_FIELDS = {
  account: "SNOWFLAKE_ACCOUNT",
  username: "SNOWFLAKE_USER",
  privateKey: "SNOWFLAKE_PRIVATE_KEY",
  privateKeyPassphrase: "SNOWFLAKE_PRIVATE_KEY_PASSPHRASE",
  warehouse: "SNOWFLAKE_WAREHOUSE",
  database: "SNOWFLAKE_DATABASE",
  role: "SNOWFLAKE_ROLE",
} as const;

/** The endpoint keys of an offline secret (`endpointInSecret`), as dbt/profiles.yml reads them. */
const SNOWFLAKE_ENDPOINT_FIELDS = {
  host: "SNOWFLAKE_HOST",
  port: "SNOWFLAKE_PORT",
  protocol: "SNOWFLAKE_PROTOCOL",
} as const;

const POSTGRES_FIELDS = {
  host: "PGHOST",
  port: "PGPORT",
  username: "PGUSER",
  password: "PGPASSWORD",
  dbname: "PGDATABASE",
} as const;

export class Warehouse extends Construct {
  public readonly target: "postgres" | "snowflake";
  /** Undefined for the local target. */
  public readonly secret?: secretsmanager.Secret;
  /** Environment of the loader functions (WAREHOUSE_TARGET, where the credentials are). */
  public readonly environment: Record<string, string>;
  /** dbt's `DBT_TARGET` (see dbt/profiles.yml). */
  public readonly dbtTarget: "local" | "prod";
  /** The role Snowflake's storage integration assumes, when configured. */
  public readonly snowflakeRole?: iam.Role;
  private readonly localDatabaseUrl?: string;
  private readonly endpointInSecret: boolean;

  constructor(scope: Construct, id: string, props: WarehouseProps) {
    super(scope, id);
    this.target = props.target;
    this.dbtTarget = props.target === "snowflake" ? "prod" : "local";
    this.endpointInSecret = props.target === "snowflake" && props.endpointInSecret === true;
    if (props.target === "postgres" && props.localDatabaseUrl) {
      this.localDatabaseUrl = props.localDatabaseUrl;
      this.environment = { WAREHOUSE_TARGET: props.target, DATABASE_URL: props.localDatabaseUrl };
      return;
    }
    const fields = props.target === "snowflake" ? SNOWFLAKE_FIELDS : POSTGRES_FIELDS;
    const template = Object.fromEntries(
      Object.keys(fields)
        // Generated or optional fields stay out of the placeholder template.
        .filter((f) => !["password", "privateKey", "privateKeyPassphrase"].includes(f))
        .map((f) => [f, "SET-ME"]),
    );
    this.secret = new secretsmanager.Secret(this, "Credentials", {
      secretName: props.secretName,
      description: `${props.target} credentials of the pipeline (fill after deploy, see docs/DEPLOY.md)`,
      generateSecretString: {
        secretStringTemplate: JSON.stringify(template),
        generateStringKey: props.target === "snowflake" ? "privateKey" : "password",
        // No characters that need escaping where it is used (a URL, a shell, dbt's profile).
        excludePunctuation: true,
      },
      removalPolicy: props.removalPolicy,
    });
    if (props.target === "snowflake" && props.snowflakeIntegration) {
      this.snowflakeRole = this.createSnowflakeRole(props.snowflakeIntegration);
    }
    this.environment =
      props.target === "snowflake"
        ? {
            WAREHOUSE_TARGET: "snowflake",
            SNOWFLAKE_SECRET_ID: this.secret.secretArn,
            SNOWFLAKE_STAGE: props.snowflakeStage ?? "RAW.LAKE_STAGE",
          }
        : {
            // No DATABASE_URL: a dynamic reference would resolve once, at deploy time (to the
            // placeholders), and show the values in every function's configuration. The
            // functions read the whole connection from the secret as they connect
            // (core/warehouse/postgres/pool.ts).
            WAREHOUSE_TARGET: "postgres",
            DATABASE_SECRET_ARN: this.secret.secretArn,
          };
  }

  private createSnowflakeRole(integration: NonNullable<WarehouseProps["snowflakeIntegration"]>): iam.Role {
    const role = new iam.Role(this, "SnowflakeStageRole", {
      roleName: integration.roleName,
      description: "Assumed by Snowflake's storage integration to read landed raw/ objects",
      assumedBy: new iam.ArnPrincipal(integration.iamUserArn),
      externalIds: [integration.externalId],
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ["s3:GetObject", "s3:GetObjectVersion"],
        resources: [integration.rawBucket.arnForObjects("raw/*")],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ["s3:ListBucket", "s3:GetBucketLocation"],
        resources: [integration.rawBucket.bucketArn],
      }),
    );
    return role;
  }

  /** Reads the credentials (GetSecretValue, DescribeSecret on this secret only). */
  grantRead(grantee: iam.IGrantable): void {
    this.secret?.grantRead(grantee);
  }

  /** The dbt container's secrets: each secret field as the variable dbt/profiles.yml reads. */
  containerSecrets(): Record<string, ecs.Secret> {
    const secret = this.secret;
    if (!secret) return {};
    const fields: Record<string, string> =
      this.target === "postgres"
        ? POSTGRES_FIELDS
        : { ...SNOWFLAKE_FIELDS, ...(this.endpointInSecret ? SNOWFLAKE_ENDPOINT_FIELDS : {}) };
    return Object.fromEntries(
      Object.entries(fields)
        .filter(([field]) => field !== "privateKeyPassphrase")
        .map(([field, variable]) => [variable, ecs.Secret.fromSecretsManager(secret, field)]),
    );
  }

  /** The dbt container's plain environment (local target: the offline PostgreSQL). */
  containerEnvironment(): Record<string, string> {
    const url = this.localDatabaseUrl;
    if (!url) return { DBT_TARGET: this.dbtTarget };
    const parsed = new URL(url);
    return {
      DBT_TARGET: this.dbtTarget,
      PGHOST: parsed.hostname,
      PGPORT: parsed.port || "5432",
      PGUSER: decodeURIComponent(parsed.username),
      PGPASSWORD: decodeURIComponent(parsed.password),
      PGDATABASE: parsed.pathname.slice(1),
    };
  }
}
