/**
 * The CDK app's configuration: typed, validated with zod, read from CDK context
 * (`-c key=value` or `cdk.json`'s "context") with the defaults below.
 *
 * | context key       | values                        | default                 |
 * |-------------------|-------------------------------|-------------------------|
 * | target            | aws \| local                  | aws                     |
 * | envName           | lowercase name                | dev (aws), local (local) |
 * | warehouse         | postgres \| snowflake         | snowflake (aws), postgres (local) |
 * | kafkaMode         | serverless \| provisioned     | serverless              |
 * | natGateway        | true \| false                 | false                   |
 * | schedule          | EventBridge Scheduler expression | rate(1 hour)         |
 * | alertEmail        | e-mail address                | none (topic without subscription) |
 * | removalPolicy     | retain \| destroy             | retain                  |
 * | snowflakeStage    | Snowflake stage over raw/     | RAW.LAKE_STAGE          |
 * | snowflakeIamUserArn / snowflakeExternalId | from DESC INTEGRATION | none (no stage role) |
 * | logRetentionDays  | one of CloudWatch's values    | 30                      |
 * | localKafkaBrokers | host:port list (local target) | 127.0.0.1:9092          |
 * | localAwsEndpoint  | emulator URL (local target)   | http://127.0.0.1:4566   |
 * | localKafkaIam     | true \| false (local target)  | false                   |
 * | localDatabaseUrl  | postgres URL (local target)   | postgres://pipeline:pipeline@127.0.0.1:5432/warehouse |
 * | landingBatchSize  | 1–10000 records per land-records invocation | 5000      |
 * | landingTopics     | comma-separated dataset topics land-records consumes | every dataset topic |
 * | snowflakeLoadBatchingWindowSeconds | 0–300 s load-raw's S3 → SQS mapping gathers events (Snowflake) | 60 |
 * | stockPoller       | off \| generator \| a quotes API https URL | off      |
 */
import { z } from "zod";
import { localEndpoints } from "../core/config/index.ts";
import { datasets } from "../core/datasets/index.ts";
import { PipelineError } from "../core/errors.ts";
import { InvalidScheduleExpressionError, validateScheduleExpression } from "../core/schedule/expression.ts";

const knownTopics = datasets.flatMap((d) => d.topics.map((t) => t.topic));

const bool = z.union([z.boolean(), z.enum(["true", "false"]).transform((v) => v === "true")]);
/** The offline defaults of the local target (core/config owns them; no environment at synth). */
const LOCAL_ENDPOINTS = localEndpoints({});

export const InfraConfigSchema = z.object({
  /** `aws` deploys to AWS; `local` synthesizes the variant the local runtime executes. */
  target: z.enum(["aws", "local"]).default("aws"),
  envName: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,20}$/, "lowercase letters, digits and '-' only")
    .optional(),
  warehouse: z.enum(["postgres", "snowflake"]).optional(),
  kafkaMode: z.enum(["serverless", "provisioned"]).default("serverless"),
  natGateway: bool.default(false),
  /** Scheduler expression: `rate(…)`, `cron(…)` or `at(…)`. */
  schedule: z
    .string()
    .superRefine((expression, ctx) => {
      // The same rules EventBridge Scheduler applies, so a bad value fails at synth, not in CloudFormation.
      try {
        validateScheduleExpression(expression);
      } catch (error) {
        if (!(error instanceof InvalidScheduleExpressionError)) throw error;
        ctx.addIssue({ code: "custom", message: error.message });
      }
    })
    .default("rate(1 hour)"),
  alertEmail: z.email().optional(),
  removalPolicy: z.enum(["retain", "destroy"]).default("retain"),
  snowflakeStage: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*){0,2}$/, "a Snowflake stage name")
    .default("RAW.LAKE_STAGE"),
  /** Snowflake storage integration principal: both or neither. */
  snowflakeIamUserArn: z
    .string()
    .regex(/^arn:aws[a-z-]*:iam::\d{12}:user\/.+$/, "an IAM user ARN")
    .optional(),
  snowflakeExternalId: z.string().min(1).optional(),
  logRetentionDays: z.coerce
    .number()
    .refine((d) => [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365].includes(d), "a CloudWatch retention")
    .default(30),
  localKafkaBrokers: z
    .string()
    .regex(/^[^:\s,]+:\d+(,[^:\s,]+:\d+)*$/, "host:port[,host:port]")
    .default(LOCAL_ENDPOINTS.kafkaBrokers),
  localAwsEndpoint: z.url().default(LOCAL_ENDPOINTS.awsEndpoint),
  /**
   * Local target: the offline broker wired as MSK with IAM auth (a local cluster ARN, the AWS
   * target's kafka-cluster grants, managed event sources); the runtime enforces the grants.
   */
  localKafkaIam: bool.default(true),
  localDatabaseUrl: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "a postgres:// URL")
    .default(LOCAL_ENDPOINTS.databaseUrl),
  /** Kafka batch size of land-records' event source mappings (MSK allows up to 10,000). */
  landingBatchSize: z.coerce.number().int().min(1).max(10_000).default(5_000),
  /** The dataset topics land-records consumes (e.g. to leave one out); every one by default. */
  landingTopics: z
    .union([z.string(), z.array(z.string())])
    .transform((v) => (typeof v === "string" ? v.split(",") : v).map((t) => t.trim()).filter(Boolean))
    .refine((topics) => topics.length > 0, "at least one topic")
    .refine(
      (topics) => topics.every((t) => knownTopics.includes(t)),
      `dataset topics only (${knownTopics.join(", ")})`,
    )
    .optional(),
  /**
   * Snowflake only: how long load-raw's SQS mapping gathers S3 events before one invocation
   * (one COPY of up to 100 files). Longer: fewer COPYs; shorter: fresher raw tables. The demo's
   * small sample sets it low so as not to wait out the window (SQS's limit: 0–300 s).
   */
  snowflakeLoadBatchingWindowSeconds: z.coerce.number().int().min(0).max(300).default(60),
  /**
   * What the scheduled stock-poller produces: nothing (`off`: real history is not mixed with
   * made-up prices unless someone asks), `generator` (seeded ticks, marked as generated), or
   * the quotes of an https API.
   */
  stockPoller: z.union([z.enum(["off", "generator"]), z.url({ protocol: /^https$/ })]).default("off"),
});

export type InfraConfigInput = z.input<typeof InfraConfigSchema>;

/** The validated configuration, with the warehouse default filled in per target. */
export type InfraConfig = Omit<z.output<typeof InfraConfigSchema>, "warehouse" | "envName"> & {
  readonly warehouse: "postgres" | "snowflake";
  readonly envName: string;
};

export const CONTEXT_KEYS = Object.keys(InfraConfigSchema.shape) as (keyof InfraConfigInput)[];

export class InfraConfigError extends PipelineError {}

/** Validates raw values (from context); throws one InfraConfigError naming every bad key. */
export function parseInfraConfig(raw: Record<string, unknown>): InfraConfig {
  const parsed = InfraConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new InfraConfigError(`invalid CDK context: ${problems}`);
  }
  const config = parsed.data;
  const local = config.target === "local";
  return {
    ...config,
    envName: config.envName ?? (local ? "local" : "dev"),
    warehouse: config.warehouse ?? (local ? "postgres" : "snowflake"),
  };
}

/** Reads every known key from a construct's context (`node.tryGetContext`). */
export function configFromContext(tryGetContext: (key: string) => unknown): InfraConfig {
  const raw: Record<string, unknown> = {};
  for (const key of CONTEXT_KEYS) {
    const value = tryGetContext(key);
    if (value !== undefined) raw[key] = value;
  }
  return parseInfraConfig(raw);
}
