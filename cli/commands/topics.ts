/**
 * `pipeline topics create|list`: the Kafka topics of every dataset (partitions as declared) and
 * the aggregated topics (compacted), created if missing.
 */
import type { Command } from "commander";
import { loadConfig } from "../../core/config/index.ts";
import { aggregatedTopics, datasets } from "../../core/datasets/index.ts";
import { createKafka, ensureTopics, type TopicDefinition } from "../../core/kafka/client.ts";
import { useLocalServicesEnv } from "../../localstack/runtime/open.ts";

/** Partitions of each aggregated topic (keyed by candidate / state; small). */
const AGGREGATED_PARTITIONS = 1;

export function allTopics(): TopicDefinition[] {
  return [
    ...datasets.flatMap((d) => d.topics.map((t) => ({ topic: t.topic, partitions: t.partitions }))),
    ...aggregatedTopics.map((topic) => ({ topic, partitions: AGGREGATED_PARTITIONS, compacted: true })),
  ];
}

export function register(program: Command): void {
  const topics = program.command("topics").description("Create and list the platform's Kafka topics");

  topics
    .command("create")
    .description("Create every dataset topic and the compacted aggregated topics that don't exist yet")
    .action(async () => {
      useLocalServicesEnv();
      const admin = createKafka(loadConfig().kafka, "-topics").admin();
      await admin.connect();
      try {
        const wanted = allTopics();
        const created = await ensureTopics(admin, wanted);
        for (const t of wanted) {
          const state = created.includes(t.topic) ? "created" : "exists";
          console.log(
            `${t.topic.padEnd(32)} ${String(t.partitions).padStart(2)} partition(s)${t.compacted ? ", compacted" : ""}  ${state}`,
          );
        }
      } finally {
        await admin.disconnect();
      }
    });

  topics
    .command("list")
    .description("List the platform's topics and whether they exist")
    .action(async () => {
      useLocalServicesEnv();
      const admin = createKafka(loadConfig().kafka, "-topics").admin();
      await admin.connect();
      try {
        const existing = new Set(await admin.listTopics());
        for (const t of allTopics())
          console.log(`${t.topic.padEnd(32)} ${existing.has(t.topic) ? "exists" : "missing"}`);
      } finally {
        await admin.disconnect();
      }
    });
}
