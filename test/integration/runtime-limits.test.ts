/**
 * AWS's payload limits hold offline against the real broker: the Kafka trigger cuts a backlog
 * that would make one event over Lambda's 6 MB invocation payload into several events, each
 * within it (AWS batches by records and bytes alike), and every record still arrives once.
 */
import type { MSKEvent } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../core/config/index.ts";
import { connectProducer, createKafka, ensureTopics } from "../../core/kafka/client.ts";
import { SYNC_PAYLOAD_LIMIT_BYTES } from "../../localstack/runtime/functions/payload-limits.ts";
import { eventLines, useMiniRuntime } from "../fixtures/mini-stack.ts";

const unique = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

describe("local runtime payload limits", () => {
  const mini = useMiniRuntime();

  it("splits a Kafka backlog whose one event would pass 6 MB into events within it", async () => {
    // Arrange: 12 records of 700 KB (about 933 KB each in base64): 11 MB if sent as one event,
    // well under the mapping's batch size of 100 records.
    const topic = `it-limits-${unique()}`;
    const { runtime, eventsFile } = mini.start({
      topic,
      batchSize: 100,
      bucketName: `it-limits-${unique()}`,
    });
    const kafka = createKafka(loadConfig().kafka);
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [{ topic, partitions: 1 }]);
    await admin.disconnect();
    // One record per request: a batch of them would pass the broker's message.max.bytes.
    const producer = await connectProducer(kafka);
    for (let i = 0; i < 12; i++)
      await producer.send({ topic, messages: [{ key: `k${i}`, value: `${i}:`.padEnd(700_000, "x") }] });
    await producer.disconnect();

    // Act
    await runtime.deploy();
    await runtime.start();
    const deadline = Date.now() + 90_000;
    const received = () =>
      eventLines(eventsFile)
        .map((line) => JSON.parse(line) as MSKEvent)
        .flatMap((e) => Object.values(e.records).flat());
    while (received().length < 12 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));

    // Assess
    const lines = eventLines(eventsFile);
    expect(received().map((r) => r.offset)).toEqual([...Array(12).keys()]);
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines)
      expect(Buffer.byteLength(line, "utf8")).toBeLessThanOrEqual(SYNC_PAYLOAD_LIMIT_BYTES);
    expect(runtime.kafkaMappings[0]?.stats.lastError).toBeUndefined();
  }, 180_000);
});
