/**
 * The local runtime follows the template: a small CDK stack declares a Kafka trigger (batch
 * size, topic, retries, on-failure destination) and an S3 notification; the runtime reads
 * the synthesized assembly and runs them against the real broker and emulator.
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import type { MSKEvent, S3Event } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { s3 } from "../../core/aws/clients.ts";
import { type MiniStackOptions, produceToTopic, readEvents, useMiniRuntime } from "../fixtures/mini-stack.ts";
import { until } from "../fixtures/until.ts";

const unique = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

const waitFor = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined) =>
  until(what, probe, 60_000);

describe("local runtime triggers", () => {
  const mini = useMiniRuntime({ s3PollMs: 200 });
  const startRuntime = (options: MiniStackOptions) => mini.start(options);

  it.each([3, 7])(
    "delivers MSK-shaped batches of at most the template's batch size (%i)",
    async (batchSize) => {
      // Prepare
      const topic = `runtime.batch.${unique()}`;
      const { runtime, eventsFile } = startRuntime({ topic, batchSize, bucketName: `lake-${unique()}` });
      await produceToTopic(
        topic,
        Array.from({ length: 20 }, (_, i) => JSON.stringify({ n: i })),
      );

      // Act
      await runtime.deploy();
      await runtime.start();
      const events = await waitFor("20 records", () => {
        const all = readEvents(eventsFile).filter(
          (e) => (e as MSKEvent).eventSource === "aws:kafka",
        ) as MSKEvent[];
        const count = all.reduce((n, e) => n + Object.values(e.records).flat().length, 0);
        return count >= 20 ? all : undefined;
      });

      // Assess
      const records = events.flatMap((e) => Object.values(e.records).flat());
      expect(records.map((r) => r.offset)).toEqual(Array.from({ length: 20 }, (_, i) => i));
      expect(Math.max(...events.map((e) => Object.values(e.records).flat().length))).toBeLessThanOrEqual(
        batchSize,
      );
      expect(Object.keys(events[0]!.records)).toEqual([`${topic}-0`]);
      expect(JSON.parse(Buffer.from(records[5]!.value, "base64").toString())).toEqual({ n: 5 });
      expect(Buffer.from(records[5]!.key as string, "base64").toString()).toBe("k5");
    },
  );

  it("retries a failing batch the template's number of times, then writes it to the on-failure bucket and moves on", async () => {
    // Prepare
    const topic = `runtime.poison.${unique()}`;
    const failures = `failures-${unique()}`;
    const { runtime, eventsFile } = startRuntime({
      topic,
      batchSize: 1,
      bucketName: `lake-${unique()}`,
      retryAttempts: 2,
      onFailureBucketName: failures,
    });
    await produceToTopic(topic, [
      JSON.stringify({ ok: 1 }),
      JSON.stringify({ poison: true }),
      JSON.stringify({ ok: 2 }),
    ]);

    // Act
    await runtime.deploy();
    await runtime.start();
    await waitFor("the record after the poison one", () =>
      readEvents(eventsFile).some((e) =>
        JSON.stringify(e).includes(Buffer.from(JSON.stringify({ ok: 2 })).toString("base64")),
      )
        ? true
        : undefined,
    );

    // Assess: 1 + 2 retries for the poison record, then its batch is in the failure bucket.
    const poisonAttempts = readEvents(eventsFile).filter((e) =>
      JSON.stringify(e).includes(Buffer.from(JSON.stringify({ poison: true })).toString("base64")),
    );
    expect(poisonAttempts).toHaveLength(3);
    const listed = await s3().send(new ListObjectsV2Command({ Bucket: failures }));
    expect(listed.Contents).toHaveLength(1);
    const object = await s3().send(new GetObjectCommand({ Bucket: failures, Key: listed.Contents![0]!.Key }));
    const record = JSON.parse(await object.Body!.transformToString());
    expect(record.requestContext.condition).toBe("RetryAttemptsExhausted");
    expect(
      Object.values(record.payload.records as Record<string, Array<{ offset: number }>>).flat()[0]!.offset,
    ).toBe(1);
  });

  it("sends S3 ObjectCreated events for the notification's prefix only", async () => {
    // Prepare
    const bucket = `lake-${unique()}`;
    const { runtime, eventsFile } = startRuntime({
      topic: `runtime.s3.${unique()}`,
      batchSize: 10,
      bucketName: bucket,
    });
    await runtime.deploy();
    await runtime.start();

    // Act
    await s3().send(new PutObjectCommand({ Bucket: bucket, Key: "in/a file.csv", Body: "x" }));
    await s3().send(new PutObjectCommand({ Bucket: bucket, Key: "elsewhere/b.csv", Body: "y" }));
    const events = await waitFor("an S3 event", () => {
      const s3Events = readEvents(eventsFile).filter(
        (e) => (e as S3Event).Records?.[0]?.eventSource === "aws:s3",
      );
      return s3Events.length > 0 ? (s3Events as S3Event[]) : undefined;
    });
    await runtime.scanS3();

    // Assess
    const keys = readEvents(eventsFile)
      .filter((e) => (e as S3Event).Records?.[0]?.eventSource === "aws:s3")
      .map((e) => (e as S3Event).Records[0]!.s3.object.key);
    expect(keys).toEqual(["in/a+file.csv"]);
    expect(events[0]!.Records[0]!.s3.bucket.name).toBe(bucket);
  });
});
