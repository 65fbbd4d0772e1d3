/**
 * The function registry: every Lambda of the platform, its handler module, what triggers it,
 * what it may touch, and its size. Both targets (AWS and local) synthesize from this list,
 * so the wiring is declared once; adding a function is adding an entry here (and its folder
 * `lambdas/<name>/index.ts` exporting `handler`).
 */
import { aggregatedTopics, datasets } from "../core/datasets/index.ts";
import { CANDIDATES_TOPIC, VOTERS_TOPIC, VOTES_TOPIC } from "../core/realtime/types.ts";

/** Kafka event source mapping: Lambda polls the topics and invokes with MSK-shaped batches. */
export interface KafkaTrigger {
  readonly kind: "kafka";
  readonly topics: readonly string[];
  /** Records per invocation (MSK max 10,000). */
  readonly batchSize: number;
  /** Seconds Lambda gathers records before invoking (Kafka default 0.5 s). */
  readonly maxBatchingWindowSeconds: number;
  readonly startingPosition: "TRIM_HORIZON" | "LATEST";
  /** Bounded retries before the batch goes to the on-failure destination (≤ 10 with one). */
  readonly retryAttempts: number;
  readonly bisectBatchOnError: boolean;
}

/** S3 ObjectCreated notifications on a prefix of the raw bucket. */
export interface S3Trigger {
  readonly kind: "s3";
  readonly bucket: "raw";
  readonly prefix: string;
  /**
   * Deliver through an SQS queue with a batching window when the warehouse is one of these
   * (Snowflake loads best as one COPY of many files); a direct notification otherwise.
   */
  readonly batchThroughQueueFor?: readonly ("postgres" | "snowflake")[];
  readonly queueBatchSize?: number;
  /** Set from the configuration (withTriggerConfig: snowflakeLoadBatchingWindowSeconds). */
  readonly queueBatchingWindowSeconds?: number;
}

/** An EventBridge Scheduler schedule invoking the function. */
export interface ScheduleTrigger {
  readonly kind: "schedule";
  readonly expression: string;
}

/** A Task state of the "pipeline run" state machine. */
export interface StateMachineTaskTrigger {
  readonly kind: "state-machine-task";
  readonly state: "load-pending" | "plan-backfill" | "quality-gate" | "publish-summary";
}

/** Backs a CloudFormation custom resource (runs at deploy time). */
export interface CustomResourceTrigger {
  readonly kind: "custom-resource";
}

/**
 * HTTPS requests through a Lambda Function URL (AWS_IAM auth: only CloudFront, signing with
 * its Origin Access Control, may call it); offline, the local dashboard server.
 */
export interface HttpTrigger {
  readonly kind: "http";
}

export type Trigger =
  | HttpTrigger
  | KafkaTrigger
  | S3Trigger
  | ScheduleTrigger
  | StateMachineTaskTrigger
  | CustomResourceTrigger;

type Access = "read" | "write" | "read-write";

export interface FunctionSpec {
  readonly name: string;
  readonly description: string;
  readonly triggers: readonly Trigger[];
  readonly memorySize: number;
  readonly timeoutSeconds: number;
  /** Bucket access the function gets (least privilege, per bucket). */
  readonly buckets?: { readonly raw?: Access; readonly quarantine?: Access; readonly artifacts?: Access };
  /**
   * How the function talks to Kafka as a client (not through an event source mapping).
   * Functions with a Kafka client run in the VPC, next to the cluster.
   */
  readonly kafkaClient?: "produce" | "admin";
  /** Reads the warehouse connection secret. */
  readonly warehouse?: boolean;
  /** Access to the real-time serving table (core/realtime); the function gets SERVING_TABLE. */
  readonly servingTable?: "read" | "read-write";
  /** Topics the function produces to as a Kafka client (needs `kafkaClient: "produce"`). */
  readonly producesTo?: readonly string[];
  /** Invokes itself asynchronously (file-to-topic continues a big file in a new invocation). */
  readonly invokesItself?: boolean;
  /** Packages kept out of the esbuild bundle and installed as node_modules instead. */
  readonly nodeModules?: readonly string[];
}

/** Every topic a dataset declares: what land-records consumes. */
export const datasetTopics: readonly string[] = datasets.flatMap((d) => d.topics.map((t) => t.topic));

/** The topics of one dataset. */
function topicsOf(dataset: string): readonly string[] {
  return datasets.filter((d) => d.name === dataset).flatMap((d) => d.topics.map((t) => t.topic));
}

/** Every topic the deploy-time custom resource creates, with partitions and compaction. */
export const topicDefinitions = [
  ...datasets.flatMap((d) => d.topics.map((t) => ({ topic: t.topic, partitions: t.partitions }))),
  ...aggregatedTopics.map((topic) => ({ topic, partitions: 3, compacted: true })),
];

export const functions: readonly FunctionSpec[] = [
  {
    name: "land-records",
    description: "Kafka batches → gzip NDJSON objects under raw/ (invalid records to quarantine/)",
    triggers: [
      {
        kind: "kafka",
        topics: datasetTopics,
        batchSize: 5_000,
        maxBatchingWindowSeconds: 5,
        startingPosition: "TRIM_HORIZON",
        retryAttempts: 5,
        bisectBatchOnError: false,
      },
    ],
    memorySize: 1024,
    timeoutSeconds: 120,
    buckets: { raw: "write", quarantine: "write" },
  },
  {
    name: "aggregate",
    description:
      "Votes → per-partition totals and event-time windows in the serving table (exactly once), published to the aggregated topics",
    triggers: [
      {
        kind: "kafka",
        // The candidates and voters register whom the live totals count (core/realtime/
        // candidate-registry.ts, voter-registry.ts).
        topics: [VOTES_TOPIC, CANDIDATES_TOPIC, VOTERS_TOPIC],
        // A short window bounds the freshness when the function keeps up; the large batch cap
        // (MSK's maximum) lets it catch up when it falls behind: a batch costs a few round trips
        // for the partition's state plus one claim read and one claim transaction per 100 voters.
        batchSize: 10_000,
        maxBatchingWindowSeconds: 1,
        startingPosition: "TRIM_HORIZON",
        retryAttempts: 5,
        bisectBatchOnError: false,
      },
    ],
    memorySize: 512,
    timeoutSeconds: 60,
    servingTable: "read-write",
    kafkaClient: "produce",
    producesTo: aggregatedTopics,
  },
  {
    name: "load-raw",
    description: "raw/ objects → warehouse raw tables, exactly once through the load manifest",
    triggers: [
      {
        kind: "s3",
        bucket: "raw",
        prefix: "raw/",
        batchThroughQueueFor: ["snowflake"],
        queueBatchSize: 100,
        // The window: snowflakeLoadBatchingWindowSeconds (infra/config.ts, 60 s by default).
      },
    ],
    memorySize: 1024,
    timeoutSeconds: 300,
    buckets: { raw: "read" },
    warehouse: true,
    nodeModules: ["snowflake-sdk"],
  },
  {
    name: "file-to-topic",
    description: "incoming/ uploads (CSV, NDJSON) → validated records produced to the dataset topics",
    triggers: [{ kind: "s3", bucket: "raw", prefix: "incoming/" }],
    memorySize: 512,
    timeoutSeconds: 900,
    // read-write: checkpoints of big files live under checkpoints/file-to-topic/ in the raw bucket.
    buckets: { raw: "read-write", quarantine: "write" },
    kafkaClient: "produce",
    // An upload may be of any dataset: the function produces to every dataset topic.
    producesTo: datasetTopics,
    invokesItself: true,
  },
  {
    name: "stock-poller",
    description: "Polls the stock quotes source on a schedule and produces ticks to stocks.prices",
    triggers: [{ kind: "schedule", expression: "rate(1 minute)" }],
    memorySize: 256,
    timeoutSeconds: 50,
    kafkaClient: "produce",
    producesTo: topicsOf("stocks"),
  },
  {
    name: "load-pending",
    description: "Pipeline run, first step: loads raw/ objects the manifest has not seen yet",
    triggers: [{ kind: "state-machine-task", state: "load-pending" }],
    memorySize: 1024,
    timeoutSeconds: 900,
    buckets: { raw: "read" },
    warehouse: true,
    nodeModules: ["snowflake-sdk"],
  },
  {
    name: "plan-backfill",
    description: "Pipeline run, backfill: turns the date range into the days the Map runs dbt for",
    triggers: [{ kind: "state-machine-task", state: "plan-backfill" }],
    memorySize: 128,
    timeoutSeconds: 10,
  },
  {
    name: "quality-gate",
    description: "Pipeline run: fails the run when dbt's run_results.json has an error or a failed test",
    triggers: [{ kind: "state-machine-task", state: "quality-gate" }],
    memorySize: 256,
    timeoutSeconds: 60,
    buckets: { artifacts: "read" },
  },
  {
    name: "publish-summary",
    description: "Pipeline run, last step: writes the run summary next to dbt's artifacts",
    triggers: [{ kind: "state-machine-task", state: "publish-summary" }],
    memorySize: 256,
    timeoutSeconds: 60,
    buckets: { artifacts: "read-write" },
  },
  {
    name: "dashboard-api",
    description:
      "Dashboard's read-only JSON API: live totals, gold-layer results, pipeline runs, records per stage",
    triggers: [{ kind: "http" }],
    memorySize: 512,
    timeoutSeconds: 30,
    // Records per stage read the lake (raw/ and quarantine/); runs come from Step Functions.
    buckets: { raw: "read", quarantine: "read" },
    warehouse: true,
    servingTable: "read",
    nodeModules: ["snowflake-sdk"],
  },
  {
    name: "topics-provisioner",
    description: "Custom resource: creates the Kafka topics (partitions, compaction) at deploy time",
    triggers: [{ kind: "custom-resource" }],
    memorySize: 256,
    timeoutSeconds: 300,
    kafkaClient: "admin",
  },
];

/** What the CDK configuration may change about the functions' triggers (infra/config.ts). */
export interface TriggerConfig {
  readonly landingBatchSize: number;
  readonly landingTopics?: readonly string[];
  readonly snowflakeLoadBatchingWindowSeconds: number;
}

/**
 * The registry with land-records' Kafka trigger set to the configured batch size and topics,
 * and the batching window of every S3 trigger that goes through a queue set as configured.
 */
export function withTriggerConfig(specs: readonly FunctionSpec[], config: TriggerConfig): FunctionSpec[] {
  return specs.map((spec) => ({
    ...spec,
    triggers: spec.triggers.map((t) => {
      if (t.kind === "kafka" && spec.name === "land-records")
        return { ...t, batchSize: config.landingBatchSize, topics: config.landingTopics ?? t.topics };
      if (t.kind === "s3" && t.batchThroughQueueFor?.includes("snowflake"))
        return { ...t, queueBatchingWindowSeconds: config.snowflakeLoadBatchingWindowSeconds };
      return t;
    }),
  }));
}

export function getFunction(name: string): FunctionSpec {
  const spec = functions.find((f) => f.name === name);
  if (!spec) throw new Error(`no function "${name}" in infra/functions.ts`);
  return spec;
}

/** The handler module of a function, relative to the repository root. */
export function handlerModule(name: string): string {
  return `lambdas/${name}/index.ts`;
}
