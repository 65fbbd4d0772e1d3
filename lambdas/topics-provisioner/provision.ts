/**
 * Creates the platform's Kafka topics for CloudFormation, with the resource's replication
 * factor. Create and Update create the topics
 * that don't exist yet (existing ones are left as they are: partitions only ever grow by
 * hand, and data is never dropped by a deploy); Delete keeps the topics, like the retained
 * buckets — the cluster's deletion removes them when the stack goes.
 */
import { z } from "zod";
import type { Config } from "../../core/config/index.ts";
import { createKafka, ensureTopics, type TopicDefinition } from "../../core/kafka/client.ts";
import { InvalidCustomResourceEvent } from "./errors.ts";

const TopicSchema = z.object({
  topic: z.string().min(1),
  partitions: z.coerce.number().int().min(1),
  // CloudFormation turns every property into a string.
  compacted: z
    .union([z.boolean(), z.enum(["true", "false"])])
    .transform((v) => v === true || v === "true")
    .optional(),
});

export const CustomResourceEventSchema = z.object({
  RequestType: z.enum(["Create", "Update", "Delete"]),
  ResponseURL: z.url(),
  StackId: z.string(),
  RequestId: z.string(),
  LogicalResourceId: z.string(),
  PhysicalResourceId: z.string().optional(),
  ResourceProperties: z
    .object({
      Topics: z.array(TopicSchema),
      // The stack's choice for its cluster (infra/constructs/streaming.ts): 1 offline, where
      // there is one broker; 3 on MSK (min(3, brokers) provisioned).
      ReplicationFactor: z.coerce.number().int().min(1),
    })
    .loose(),
});

export type CustomResourceEvent = z.infer<typeof CustomResourceEventSchema>;

export function parseEvent(event: unknown): CustomResourceEvent {
  const parsed = CustomResourceEventSchema.safeParse(event);
  if (!parsed.success)
    throw new InvalidCustomResourceEvent(`not a topics custom resource event: ${parsed.error.message}`);
  return parsed.data;
}

/** Applies the event to the cluster; returns the topics it created. */
export async function provision(event: CustomResourceEvent, kafka: Config["kafka"]): Promise<string[]> {
  if (event.RequestType === "Delete") return [];
  const topics: TopicDefinition[] = event.ResourceProperties.Topics.map((t) => ({
    topic: t.topic,
    partitions: t.partitions,
    compacted: t.compacted ?? false,
    replicationFactor: event.ResourceProperties.ReplicationFactor,
  }));
  const admin = createKafka(kafka, "-topics-provisioner").admin();
  await admin.connect();
  try {
    return await ensureTopics(admin, topics);
  } finally {
    await admin.disconnect();
  }
}
