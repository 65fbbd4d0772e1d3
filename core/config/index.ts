/**
 * One typed, validated view of every endpoint and name the platform uses.
 *
 * Values come from the environment (so a Lambda, the local runtime, the CLI and the tests all
 * read the same variables) with defaults that point at the native offline services.
 * AWS SDK v3 clients pick the emulator up through `AWS_ENDPOINT_URL` on their own; we only
 * read it here to decide path-style S3 addressing and to show it in `services status`.
 */
import { z } from "zod";
import { PipelineError } from "../errors.ts";

const port = z.coerce.number().int().min(1).max(65535);

export const ConfigSchema = z.object({
  /** Deployment environment name, used in resource names and metrics. */
  envName: z.string().regex(/^[a-z][a-z0-9-]{0,20}$/, "lowercase letters, digits and '-' only"),
  aws: z.object({
    region: z.string().min(1),
    /** Set for the emulator; undefined in AWS. */
    endpointUrl: z.url().optional(),
  }),
  kafka: z.object({
    brokers: z.array(z.string().regex(/^[^:\s]+:\d+$/, "host:port")).min(1),
    /** "none" for the local broker, "iam" for MSK with IAM auth. */
    auth: z.enum(["none", "iam"]),
    /** MSK cluster ARN: when set, brokers are looked up at run time with GetBootstrapBrokers. */
    clusterArn: z.string().optional(),
    /** IAM auth over TLS (MSK); the offline broker's IAM listener is plaintext (`KAFKA_TLS=false`). */
    tls: z.boolean(),
    clientId: z.string().min(1),
  }),
  postgres: z.object({
    url: z.string().regex(/^postgres(ql)?:\/\//, "a postgres:// URL"),
    port,
  }),
  buckets: z.object({
    /** Landing bucket: `incoming/<dataset>/` uploads and `raw/` landed batches. */
    raw: z.string().min(3),
    quarantine: z.string().min(3),
    /** dbt artifacts (run_results.json, manifest.json) for the quality gate. */
    artifacts: z.string().min(3),
  }),
  warehouse: z.enum(["postgres", "snowflake"]),
  /** DynamoDB table of the real-time aggregates (core/realtime) the dashboard reads. */
  servingTable: z.string().min(3),
});

export type Config = z.infer<typeof ConfigSchema>;

type Env = Record<string, string | undefined>;

/**
 * The account of everything offline: the emulator's resources and the local runtime's ARNs
 * (LocalStack's too). moto would otherwise use 123456789012, so a topic the runtime created
 * was not found under the ARN the template gives it.
 */
export const LOCAL_ACCOUNT = "000000000000";

export const LOCAL_DEFAULTS = {
  region: "us-east-1",
  awsEndpoint: "http://127.0.0.1:4566",
  kafkaBrokers: "127.0.0.1:9092",
  postgresPort: "5432",
  postgresDatabase: "warehouse",
} as const;

/** Reads the configuration from `env`; throws a ConfigError listing every bad variable. */
export function loadConfig(env: Env = process.env): Config {
  const pgPort = env.PGPORT ?? LOCAL_DEFAULTS.postgresPort;
  const candidate = {
    envName: env.PIPELINE_ENV ?? "local",
    aws: {
      region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? LOCAL_DEFAULTS.region,
      endpointUrl: emptyToUndefined(env.AWS_ENDPOINT_URL),
    },
    kafka: {
      brokers: localEndpoints(env)
        .kafkaBrokers.split(",")
        .map((b) => b.trim())
        .filter(Boolean),
      auth: env.KAFKA_AUTH ?? "none",
      clusterArn: emptyToUndefined(env.MSK_CLUSTER_ARN),
      tls: env.KAFKA_TLS !== "false",
      clientId: env.KAFKA_CLIENT_ID ?? "pipeline",
    },
    postgres: {
      url: localEndpoints(env).databaseUrl,
      port: pgPort,
    },
    buckets: {
      raw: env.RAW_BUCKET ?? "pipeline-raw",
      quarantine: env.QUARANTINE_BUCKET ?? "pipeline-quarantine",
      artifacts: env.ARTIFACTS_BUCKET ?? "pipeline-artifacts",
    },
    warehouse: env.WAREHOUSE_TARGET ?? "postgres",
    servingTable: env.SERVING_TABLE ?? "pipeline-serving",
  };
  const parsed = ConfigSchema.safeParse(candidate);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new ConfigError(`invalid configuration: ${problems}`);
  }
  return parsed.data;
}

/**
 * A setting that must be a positive number (`integer` unless told otherwise): `fallback` when
 * unset or empty, a ConfigError naming the variable otherwise. Every function's settings use
 * it, so a bad setting always fails the same way.
 */
export function positiveSetting(
  env: Env,
  name: string,
  fallback: number,
  kind: "integer" | "number" = "integer",
): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  const valid = value > 0 && (kind === "integer" ? Number.isInteger(value) : Number.isFinite(value));
  if (!valid) throw new ConfigError(`${name} must be a positive ${kind}, got "${raw}"`);
  return value;
}

/**
 * The endpoints `env` names, or the native offline services' defaults: what the local target
 * bakes into its template and what the runtime and the CLI connect to.
 */
export function localEndpoints(env: Env = process.env): {
  kafkaBrokers: string;
  awsEndpoint: string;
  databaseUrl: string;
} {
  const pgPort = env.PGPORT ?? LOCAL_DEFAULTS.postgresPort;
  return {
    kafkaBrokers: env.KAFKA_BROKERS ?? LOCAL_DEFAULTS.kafkaBrokers,
    awsEndpoint: env.AWS_ENDPOINT_URL ?? LOCAL_DEFAULTS.awsEndpoint,
    databaseUrl:
      env.DATABASE_URL ??
      `postgres://${env.PGUSER ?? "pipeline"}:${env.PGPASSWORD ?? "pipeline"}@${env.PGHOST ?? "127.0.0.1"}:${pgPort}/${env.PGDATABASE ?? LOCAL_DEFAULTS.postgresDatabase}`,
  };
}

/**
 * The environment the offline tools (CLI, local runtime, tests) run with: the emulator
 * endpoint and dummy credentials, unless the caller already set them.
 */
export function localAwsEnv(env: Env = process.env): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: localEndpoints(env).awsEndpoint,
    AWS_REGION: env.AWS_REGION ?? LOCAL_DEFAULTS.region,
    AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID ?? "test",
    AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY ?? "test",
  };
}

/** Applies {@link localAwsEnv} to `process.env` (for the CLI and tests, never in Lambda). */
export function useLocalAwsEnv(): void {
  Object.assign(process.env, localAwsEnv());
}

export class ConfigError extends PipelineError {}

function emptyToUndefined(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}
