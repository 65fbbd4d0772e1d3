/**
 * S3 event notifications across an AWS emulator restart, on the emulator alone (its own state
 * dir and port, 26566 + TEST_PORT_SHIFT: below the ephemeral range, where an outgoing connection
 * may already hold a port): the replay of the request log restores the objects without
 * notifying again, and puts back exactly the events not consumed before the stop —
 * one in flight (received, not deleted) and one never received, each with its body as it was
 * sent (its eventTime the write's) — for a Lambda destination (the function's internal queue,
 * serve.py) and a queue destination alike. A second restart delivers nothing: the restored
 * events' deletes are matched too.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateBucketCommand,
  PutBucketNotificationConfigurationCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { down, type ServicesSettings, servicesSettings, up } from "../../localstack/services/index.ts";
import { testPortShift } from "../fixtures/test-services.ts";

const PORT = 26_566 + testPortShift();
const ENDPOINT = `http://127.0.0.1:${PORT}`;
const ACCOUNT = "000000000000";
const REGION = "us-east-1";
const BUCKET = "restart-lake";
const FUNCTION_QUEUE = "s3-invoke-restart-fn"; // serve.py's internal queue of function restart-fn
const DESTINATION_QUEUE = "restart-destination";

interface Event {
  readonly key: string;
  readonly body: string;
}

describe("S3 notifications across an emulator restart", () => {
  let settings: ServicesSettings;
  let stateDir: string;
  let s3: S3Client;
  let sqs: SQSClient;
  const before: Record<string, Event[]> = {};
  const afterFirst: Record<string, Event[]> = {};
  const afterSecond: Record<string, Event[]> = {};
  let restartedAt = 0;

  const queueUrl = (name: string) => `${ENDPOINT}/${ACCOUNT}/${name}`;

  /** Receives every visible event of a queue (each hidden for 60 s once received); deletes those `consume` names. */
  async function drain(queue: string, consume: (key: string) => boolean): Promise<Event[]> {
    const events: Event[] = [];
    for (;;) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl(queue),
          MaxNumberOfMessages: 10,
          VisibilityTimeout: 60,
        }),
      );
      if (Messages.length === 0) return events.sort((a, b) => a.key.localeCompare(b.key));
      for (const message of Messages) {
        const event = eventOf(message);
        events.push(event);
        if (consume(event.key))
          await sqs.send(
            new DeleteMessageCommand({ QueueUrl: queueUrl(queue), ReceiptHandle: message.ReceiptHandle }),
          );
      }
    }
  }

  async function restart(): Promise<void> {
    await down(settings, ["aws-emulator"]);
    await up(settings, ["aws-emulator"]);
    s3.destroy();
    sqs.destroy();
    ({ s3, sqs } = clients());
  }

  beforeAll(async () => {
    // Prepare: the emulator on its own state dir; a bucket notifying a function and a queue.
    stateDir = mkdtempSync(join(tmpdir(), "emulator-restart-"));
    settings = servicesSettings({
      ...process.env,
      PIPELINE_SERVICES_DIR: stateDir,
      AWS_EMULATOR_PORT: String(PORT),
      AWS_EMULATOR_PERSIST: "1",
    });
    await up(settings, ["aws-emulator"]);
    ({ s3, sqs } = clients());
    await sqs.send(new CreateQueueCommand({ QueueName: FUNCTION_QUEUE }));
    await sqs.send(new CreateQueueCommand({ QueueName: DESTINATION_QUEUE }));
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const filter = { Key: { FilterRules: [{ Name: "prefix" as const, Value: "raw/" }] } };
    await s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: BUCKET,
        NotificationConfiguration: {
          LambdaFunctionConfigurations: [
            {
              LambdaFunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:restart-fn`,
              Events: ["s3:ObjectCreated:*"],
              Filter: filter,
            },
          ],
          QueueConfigurations: [
            {
              QueueArn: `arn:aws:sqs:${REGION}:${ACCOUNT}:${DESTINATION_QUEUE}`,
              Events: ["s3:ObjectCreated:*"],
              Filter: filter,
            },
          ],
        },
      }),
    );

    // Act: a consumed (a), an in-flight (b) and a never received (c) event; restart twice.
    const put = (key: string) =>
      s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: `${key}\n` }));
    await put("raw/a.ndjson");
    await put("raw/b.ndjson");
    for (const queue of [FUNCTION_QUEUE, DESTINATION_QUEUE])
      before[queue] = await drain(queue, (key) => key !== "raw/b.ndjson");
    await put("raw/c.ndjson");
    restartedAt = Date.now();
    await restart();
    for (const queue of [FUNCTION_QUEUE, DESTINATION_QUEUE])
      afterFirst[queue] = await drain(queue, () => true);
    await restart();
    for (const queue of [FUNCTION_QUEUE, DESTINATION_QUEUE])
      afterSecond[queue] = await drain(queue, () => true);
  }, 180_000);

  afterAll(async () => {
    s3?.destroy();
    sqs?.destroy();
    if (settings) await down(settings, ["aws-emulator"]);
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  }, 60_000);

  it.each([FUNCTION_QUEUE, DESTINATION_QUEUE])(
    "%s: after a restart, only the events not consumed before it, as they were sent",
    (queue) => {
      // Assess
      const inFlight = before[queue]?.find((e) => e.key === "raw/b.ndjson");
      expect(before[queue]?.map((e) => e.key)).toEqual(
        queue === DESTINATION_QUEUE
          ? ["(test event)", "raw/a.ndjson", "raw/b.ndjson"]
          : ["raw/a.ndjson", "raw/b.ndjson"],
      );
      expect(afterFirst[queue]?.map((e) => e.key)).toEqual(["raw/b.ndjson", "raw/c.ndjson"]);
      expect(afterFirst[queue]?.[0]?.body).toBe(inFlight?.body);
      const written = afterFirst[queue]?.[1] ? eventTime(afterFirst[queue][1]) : Number.NaN;
      expect(written).toBeLessThan(restartedAt);
    },
  );

  it.each([FUNCTION_QUEUE, DESTINATION_QUEUE])("%s: after a second restart, nothing again", (queue) => {
    // Assess
    expect(afterSecond[queue]).toEqual([]);
  });
});

function clients(): { s3: S3Client; sqs: SQSClient } {
  const config = {
    endpoint: ENDPOINT,
    region: REGION,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  };
  return { s3: new S3Client({ ...config, forcePathStyle: true }), sqs: new SQSClient(config) };
}

function eventOf(message: Message): Event {
  const body = message.Body ?? "";
  const parsed = JSON.parse(body) as { Event?: string; Records?: Array<{ s3: { object: { key: string } } }> };
  if (parsed.Event === "s3:TestEvent") return { key: "(test event)", body };
  return { key: decodeURIComponent(parsed.Records?.[0]?.s3.object.key ?? ""), body };
}

function eventTime(event: Event): number {
  return Date.parse(
    (JSON.parse(event.body) as { Records: Array<{ eventTime: string }> }).Records[0]?.eventTime ?? "",
  );
}
