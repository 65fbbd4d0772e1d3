/**
 * AWS's payload limits hold offline against the real broker: the Kafka trigger cuts a backlog
 * that would make one event over Lambda's 6 MB invocation payload into several events, each
 * within it (AWS batches by records and bytes alike), and every record still arrives once.
 */
import type { MSKEvent } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { SYNC_PAYLOAD_LIMIT_BYTES } from "../../localstack/runtime/functions/payload-limits.ts";
import { eventLines, produceToTopic, useMiniRuntime } from "../fixtures/mini-stack.ts";

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
    const values = Array.from({ length: 12 }, (_, i) => `${i}:`.padEnd(700_000, "x"));
    await produceToTopic(topic, values, 1);

    // Act
    await runtime.deploy();
    await runtime.start();
    const deadline = Date.now() + 90_000;
    // The Kafka events only: the echo function's asynchronous queue lives on the shared
    // emulator, and an event another file's echo left there may reach this one too.
    const kafkaEvents = () =>
      eventLines(eventsFile).filter(
        (line) => (JSON.parse(line) as Partial<MSKEvent>).eventSource === "aws:kafka",
      );
    const received = () =>
      kafkaEvents()
        .map((line) => JSON.parse(line) as MSKEvent)
        .flatMap((e) => Object.values(e.records).flat());
    while (received().length < 12 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));

    // Assess
    const lines = kafkaEvents();
    expect(received().map((r) => r.offset)).toEqual([...Array(12).keys()]);
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines)
      expect(Buffer.byteLength(line, "utf8")).toBeLessThanOrEqual(SYNC_PAYLOAD_LIMIT_BYTES);
    expect(runtime.kafkaMappings[0]?.stats.lastError).toBeUndefined();
  }, 180_000);
});
