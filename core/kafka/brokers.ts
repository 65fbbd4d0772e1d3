/**
 * MSK bootstrap brokers, looked up at run time: they are not a CloudFormation attribute
 * (MSK Serverless especially), so functions receive the cluster ARN and ask MSK once per
 * container. The answer is cached; a failed lookup is not, so the next call retries.
 */
import { GetBootstrapBrokersCommand, KafkaClient } from "@aws-sdk/client-kafka";
import { PipelineError } from "../errors.ts";
import type { AwsCredentials } from "./msk-iam.ts";

/** The part of the Kafka client this module uses (a real client or a stand-in in tests). */
export interface BootstrapBrokersSource {
  send(command: GetBootstrapBrokersCommand): Promise<{
    BootstrapBrokerStringSaslIam?: string;
    BootstrapBrokerStringPublicSaslIam?: string;
  }>;
}

export class BrokerLookupError extends PipelineError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

const cache = new Map<string, Promise<string[]>>();

/**
 * The IAM bootstrap brokers (`host:port`) of a cluster, cached per cluster ARN and caller:
 * `credentials` asks as someone else than the default chain (offline, the local runtime
 * asks on behalf of a function's role, whose right to GetBootstrapBrokers is evaluated).
 */
export function bootstrapBrokers(
  clusterArn: string,
  source?: BootstrapBrokersSource,
  credentials?: AwsCredentials,
): Promise<string[]> {
  const key = `${clusterArn} ${credentials?.accessKeyId ?? ""}`;
  let pending = cache.get(key);
  if (!pending) {
    pending = lookUp(clusterArn, source ?? new KafkaClient(credentials ? { credentials } : {}));
    cache.set(key, pending);
    pending.catch(() => cache.delete(key));
  }
  return pending;
}

/** Forgets cached brokers (after a cluster change, and between tests). */
export function clearBrokerCache(): void {
  cache.clear();
}

async function lookUp(clusterArn: string, source: BootstrapBrokersSource): Promise<string[]> {
  let answer: Awaited<ReturnType<BootstrapBrokersSource["send"]>>;
  try {
    answer = await source.send(new GetBootstrapBrokersCommand({ ClusterArn: clusterArn }));
  } catch (error) {
    throw new BrokerLookupError(`GetBootstrapBrokers failed for ${clusterArn}`, { cause: error });
  }
  const list = answer.BootstrapBrokerStringSaslIam ?? answer.BootstrapBrokerStringPublicSaslIam;
  const brokers = parseBrokerString(list ?? "");
  if (brokers.length === 0) {
    throw new BrokerLookupError(`cluster ${clusterArn} has no IAM bootstrap brokers (is IAM auth enabled?)`);
  }
  return brokers;
}

/** `"b-1.x:9098,b-2.x:9098"` → `["b-1.x:9098", "b-2.x:9098"]`. */
export function parseBrokerString(value: string): string[] {
  return value
    .split(",")
    .map((b) => b.trim())
    .filter(Boolean);
}
