/**
 * The local runtime follows the template: a small CDK stack declares a Kafka trigger (batch
 * size, topic, retries, on-failure destination) and an S3 notification; the runtime reads
 * the synthesized assembly and runs them against the real broker and emulator. S3 events come
 * from the emulator's own notifications (the bucket's configuration is the template's), never
 * from listing the bucket — the emulator's journal of requests shows it.
 */
import {
  GetBucketNotificationConfigurationCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import type { MSKEvent, S3Event } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { s3 } from "../../core/aws/clients.ts";
import { emulatorRequestsFromNow, listsObjects } from "../fixtures/emulator-requests.ts";
import { type MiniStackOptions, produceToTopic, readEvents, useMiniRuntime } from "../fixtures/mini-stack.ts";
import { until } from "../fixtures/until.ts";

const unique = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

const waitFor = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined) =>
  until(what, probe, 60_000);

describe("local runtime triggers", () => {
  const mini = useMiniRuntime();
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

  it("sends S3 ObjectCreated events, in S3's shape, for the notification's prefix only", async () => {
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
    await s3().send(new PutObjectCommand({ Bucket: bucket, Key: "elsewhere/b.csv", Body: "y" }));
    await s3().send(new PutObjectCommand({ Bucket: bucket, Key: "in/a file.csv", Body: "x" }));
    await waitFor("an S3 event", () => (s3Events(eventsFile).length > 0 ? true : undefined));
    await runtime.settleS3();

    // Assess
    const events = s3Events(eventsFile);
    expect(events.map((e) => e.Records.map((r) => r.s3.object.key))).toEqual([["in/a+file.csv"]]);
    const record = events[0]!.Records[0]!;
    expect(record).toMatchObject({
      eventVersion: "2.1",
      eventSource: "aws:s3",
      eventName: "ObjectCreated:Put",
      userIdentity: { principalId: expect.any(String) },
      s3: {
        s3SchemaVersion: "1.0",
        bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` },
        object: { size: 1, eTag: expect.stringMatching(/^[0-9a-f]{32}$/), sequencer: expect.any(String) },
      },
    });
    expect(Date.parse(record.eventTime)).not.toBeNaN();
  });

  it("puts the template's notification configuration on the bucket and delivers without listing it", async () => {
    // Prepare
    const bucket = `lake-${unique()}`;
    const { runtime, eventsFile } = startRuntime({
      topic: `runtime.s3.${unique()}`,
      batchSize: 10,
      bucketName: bucket,
    });
    const requests = emulatorRequestsFromNow();

    // Act
    await runtime.deploy();
    await runtime.start();
    await s3().send(new PutObjectCommand({ Bucket: bucket, Key: "in/1.csv", Body: "1" }));
    await waitFor("the S3 event", () => (s3Events(eventsFile).length > 0 ? true : undefined));

    // Assess: S3's own configuration, the function's filter on it, and no listing of the bucket.
    const { LambdaFunctionConfigurations } = await s3().send(
      new GetBucketNotificationConfigurationCommand({ Bucket: bucket }),
    );
    expect(LambdaFunctionConfigurations).toEqual([
      expect.objectContaining({
        LambdaFunctionArn: expect.stringMatching(/^arn:aws:lambda:[^:]+:\d{12}:function:/),
        Events: ["s3:ObjectCreated:*"],
        // S3 answers "Prefix"; moto the case it was given (the template's "prefix").
        Filter: { Key: { FilterRules: [{ Name: expect.stringMatching(/^prefix$/i), Value: "in/" }] } },
      }),
    ]);
    expect(requests().filter((r) => listsObjects(r, bucket))).toEqual([]);
  });

  it("refuses to deploy a notification the function's resource policy does not let S3 deliver, as S3 refuses it", async () => {
    // Prepare
    const bucket = `lake-${unique()}`;
    const { runtime } = startRuntime({
      topic: `runtime.s3.${unique()}`,
      batchSize: 10,
      bucketName: bucket,
      s3MayInvoke: false,
    });

    // Act
    const deploying = runtime.deploy();

    // Assess
    await expect(deploying).rejects.toThrow(
      `PutBucketNotificationConfiguration on ${bucket}: Unable to validate the following destination configurations`,
    );
    const { LambdaFunctionConfigurations } = await s3().send(
      new GetBucketNotificationConfigurationCommand({ Bucket: bucket }),
    );
    expect(LambdaFunctionConfigurations ?? []).toEqual([]);
  });

  it("delivers an object written while the runtime was down once it is back, as S3 queues it", async () => {
    // Prepare
    const bucket = `lake-${unique()}`;
    const { runtime, eventsFile, restart } = startRuntime({
      topic: `runtime.s3.${unique()}`,
      batchSize: 10,
      bucketName: bucket,
    });
    await runtime.deploy();
    await runtime.start();
    await runtime.stop();

    // Act
    await s3().send(new PutObjectCommand({ Bucket: bucket, Key: "in/while-down.csv", Body: "z" }));
    const again = await restart();
    await again.deploy();
    await again.start();

    // Assess
    await waitFor("the event of the object written while down", () =>
      s3Events(eventsFile).some((e) => e.Records[0]?.s3.object.key === "in/while-down.csv")
        ? true
        : undefined,
    );
  });
});

function s3Events(eventsFile: string): S3Event[] {
  return readEvents(eventsFile).filter(
    (e) => (e as S3Event).Records?.[0]?.eventSource === "aws:s3",
  ) as S3Event[];
}
