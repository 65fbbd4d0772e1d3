import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../core/config/index.ts";
import {
  type Consumer,
  connectProducer,
  createKafka,
  ensureTopics,
  type KafkaMessage,
} from "../../core/kafka/client.ts";

describe("native Kafka broker, through the project's Kafka client", () => {
  const kafka = createKafka(loadConfig().kafka, "-services-test");
  const admin = kafka.admin();
  const topic = `services-test-${randomUUID()}`;
  let consumer: Consumer | undefined;

  afterAll(async () => {
    await consumer?.disconnect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.disconnect();
  });

  it("does not create a topic a producer asks for (auto.create.topics.enable=false)", async () => {
    // Prepare
    await admin.connect();
    const missing = `never-created-${randomUUID()}`;
    const producer = kafka.producer({ allowAutoTopicCreation: true, retry: { retries: 1 } });
    await producer.connect();

    try {
      // Act
      const sending = producer.send({ topic: missing, messages: [{ value: "x" }] });

      // Assess
      await expect(sending).rejects.toThrow();
      expect(await admin.listTopics()).not.toContain(missing);
    } finally {
      await producer.disconnect();
    }
  });

  it("round-trips records with keys and headers on a topic the test creates", async () => {
    // Prepare
    await ensureTopics(admin, [{ topic, partitions: 2 }]);
    const sent = Array.from({ length: 10 }, (_, i) => ({
      key: `key-${i}`,
      value: JSON.stringify({ i }),
      headers: { "schema-version": "1" },
    }));
    const received: KafkaMessage[] = [];
    consumer = kafka.consumer({ groupId: `services-test-${randomUUID()}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const allReceived = new Promise<void>((resolve) => {
      void consumer?.run({
        eachMessage: async ({ message }) => {
          received.push(message);
          if (received.length === sent.length) resolve();
        },
      });
    });

    // Act
    const producer = await connectProducer(kafka);
    await producer.send({ topic, messages: sent });
    await producer.disconnect();
    await allReceived;

    // Assess
    const decoded = received
      .map((m) => ({
        key: m.key?.toString(),
        value: m.value?.toString(),
        headers: { "schema-version": m.headers?.["schema-version"]?.toString() },
      }))
      .sort((a, b) => (a.key ?? "").localeCompare(b.key ?? "", "en", { numeric: true }));
    expect(decoded).toEqual(sent);
  });
});
