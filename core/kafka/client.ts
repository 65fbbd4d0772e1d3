/**
 * The one module that knows which Kafka client library we use (kafkajs, unmaintained since
 * 2023): everything else goes through these functions, so switching to another client
 * (e.g. @platformatic/kafka) touches this folder only.
 */
import { type Admin, type ITopicConfig, Kafka, logLevel, type Producer } from "kafkajs";
import type { Config } from "../config/index.ts";
import { bootstrapBrokers } from "./brokers.ts";
import {
  type AwsCredentialsSource,
  mskOauthBearerProvider,
  resolveCredentials,
  signWith,
} from "./msk-iam.ts";

export type { Admin, Consumer, EachBatchPayload, KafkaMessage, Producer } from "kafkajs";
export type { AwsCredentials, AwsCredentialsSource } from "./msk-iam.ts";

// kafkajs quirks, kept here with the library:
// - its request queue schedules a negative timeout (kafkajs issue 1751), which Node ≥ 23
//   reports as a TimeoutNegativeWarning on every connection; Node clamps it to 1 ms, harmless;
// - it warns about its v2 partitioner change on every producer;
// - it logs retriable protocol errors (coordinator loading, leader moved) at ERROR level
//   although it retries them; real failures still reach us as rejected promises.
//   KAFKA_LOG_LEVEL=warn|info|debug shows its log again.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  const type = typeof rest[0] === "string" ? rest[0] : (rest[0] as { type?: string } | undefined)?.type;
  if (type === "TimeoutNegativeWarning" || (warning as Error).name === "TimeoutNegativeWarning") return;
  return (emitWarning as (...args: unknown[]) => void)(warning, ...rest);
}) as typeof process.emitWarning;
process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= "1";

const LOG_LEVELS: Record<string, logLevel> = {
  nothing: logLevel.NOTHING,
  error: logLevel.ERROR,
  warn: logLevel.WARN,
  info: logLevel.INFO,
  debug: logLevel.DEBUG,
};
const kafkaLogLevel = () => LOG_LEVELS[process.env.KAFKA_LOG_LEVEL ?? "nothing"] ?? logLevel.NOTHING;

/**
 * Every client's retry policy, spelled out in full: kafkajs swaps in much shorter defaults
 * (≤ 1 s between attempts) when NODE_ENV=test, which vitest sets, so tests would see a
 * different client than production. 8 retries, 0.2 s doubling up to 30 s: about 50 s, enough
 * to ride out a broker restart.
 */
const RETRY = { retries: 8, initialRetryTime: 200, maxRetryTime: 30_000, factor: 0.2, multiplier: 2 };

/**
 * @param credentials IAM auth only: sign and look brokers up with these instead of the default
 *   chain (the local runtime reading on behalf of a function's role)
 */
export function createKafka(
  kafka: KafkaSettings,
  clientIdSuffix = "",
  credentials?: AwsCredentialsSource,
): Kafka {
  if (kafka.auth === "iam") return createMskIamKafka(kafka, clientIdSuffix, credentials);
  return new Kafka({
    clientId: `${kafka.clientId}${clientIdSuffix}`,
    brokers: kafka.brokers,
    logLevel: kafkaLogLevel(),
    retry: RETRY,
  });
}

/** Kafka settings; `tls` defaults to true (it matters for IAM auth only). */
export type KafkaSettings = Omit<Config["kafka"], "tls"> & { readonly tls?: boolean };

/**
 * MSK with IAM auth: TLS (unless `kafka.tls` is false: the offline IAM listener is plaintext)
 * + SASL/OAUTHBEARER with a refreshing signed token; brokers from GetBootstrapBrokers when a
 * cluster ARN is configured (MSK has no CloudFormation attribute for them), otherwise the
 * configured list.
 */
function createMskIamKafka(
  kafka: KafkaSettings,
  clientIdSuffix: string,
  credentials: AwsCredentialsSource | undefined,
): Kafka {
  const region = process.env.AWS_REGION ?? "us-east-1";
  const clusterArn = kafka.clusterArn;
  const sign = credentials ? signWith(credentials) : undefined;
  return new Kafka({
    clientId: `${kafka.clientId}${clientIdSuffix}`,
    brokers: clusterArn
      ? async () =>
          bootstrapBrokers(
            clusterArn,
            undefined,
            credentials ? await resolveCredentials(credentials) : undefined,
          )
      : kafka.brokers,
    ssl: kafka.tls ?? true,
    sasl: { mechanism: "oauthbearer", oauthBearerProvider: mskOauthBearerProvider(region, sign) },
    logLevel: kafkaLogLevel(),
    retry: RETRY,
  });
}

/** An idempotent producer: retries never duplicate a record within a partition. */
export async function connectProducer(client: Kafka): Promise<Producer> {
  const producer = client.producer({
    idempotent: true,
    maxInFlightRequests: 5,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  return producer;
}

export interface TopicDefinition {
  readonly topic: string;
  readonly partitions: number;
  /** Compacted topics keep the last value per key (the aggregated topics). */
  readonly compacted?: boolean;
  /** Copies of each partition; at most the broker count. @default 1 (the offline broker) */
  readonly replicationFactor?: number;
}

/** Creates the topics that don't exist yet; existing topics are left as they are. */
export async function ensureTopics(admin: Admin, topics: readonly TopicDefinition[]): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing: ITopicConfig[] = topics
    .filter((t) => !existing.has(t.topic))
    .map((t) => ({
      topic: t.topic,
      numPartitions: t.partitions,
      replicationFactor: t.replicationFactor ?? 1,
      configEntries: t.compacted ? [{ name: "cleanup.policy", value: "compact" }] : [],
    }));
  if (missing.length > 0) await admin.createTopics({ topics: missing, waitForLeaders: true });
  return missing.map((t) => t.topic);
}

export type PartitionOffsets = Awaited<ReturnType<Admin["fetchTopicOffsets"]>>;

/**
 * A topic's low and high offsets per partition. Right after a topic is created (or a broker
 * restarted) the broker can answer "not the leader" for a moment; kafkajs's admin doesn't
 * retry that for ListOffsets, so we do, on retriable errors only.
 */
export async function topicOffsets(admin: Admin, topic: string, attempts = 10): Promise<PartitionOffsets> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await admin.fetchTopicOffsets(topic);
    } catch (error) {
      if (!(error as { retriable?: boolean }).retriable || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
}

export interface KeyedMessages {
  readonly topic: string;
  readonly messages: readonly { readonly key: string; readonly value: string }[];
}

/** Sends keyed messages to several topics in one request per broker (acks from all replicas). */
export async function sendKeyed(producer: Producer, batches: readonly KeyedMessages[]): Promise<void> {
  const topicMessages = batches
    .filter((b) => b.messages.length > 0)
    .map((b) => ({ topic: b.topic, messages: b.messages.map((m) => ({ key: m.key, value: m.value })) }));
  if (topicMessages.length > 0) await producer.sendBatch({ topicMessages, acks: -1 });
}
