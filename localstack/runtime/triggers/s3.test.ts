import { describe, expect, it } from "vitest";
import { fromEmulatorEvent, lambdaNotificationQueue, notificationConfigurations } from "./s3.ts";

/** An event as moto 5.2.5 sends it (moto/s3/notifications.py `_get_s3_event`). */
const motoEvent = {
  Records: [
    {
      eventVersion: "2.1",
      eventSource: "aws:s3",
      awsRegion: "eu-west-1",
      eventTime: "2026-12-02T05:00:00.123Z",
      eventName: "ObjectCreated:CompleteMultipartUpload",
      s3: {
        s3SchemaVersion: "1.0",
        configurationId: "cfg-1",
        bucket: { name: "lake", arn: "arn:aws:s3:::lake" },
        object: { key: "raw%2Fa+file.ndjson.gz", size: 12, eTag: "0123456789abcdef0123456789abcdef" },
      },
    },
  ],
};

describe("S3 notifications from the emulator", () => {
  it("rebuilds moto's record in S3's full shape, keeping its name, time, configuration and ETag", () => {
    // Act
    const [record, ...rest] = fromEmulatorEvent(motoEvent);

    // Assess
    expect(rest).toEqual([]);
    expect(record).toMatchObject({
      awsRegion: "eu-west-1",
      eventTime: "2026-12-02T05:00:00.123Z",
      eventName: "ObjectCreated:CompleteMultipartUpload",
      userIdentity: { principalId: "local" },
      requestParameters: { sourceIPAddress: "127.0.0.1" },
      s3: {
        configurationId: "cfg-1",
        bucket: { name: "lake", ownerIdentity: { principalId: "local" }, arn: "arn:aws:s3:::lake" },
        object: {
          key: "raw/a+file.ndjson.gz",
          size: 12,
          eTag: "0123456789abcdef0123456789abcdef",
          sequencer: "0",
        },
      },
    });
  });

  it("reads no record out of a body that is not an S3 event", () => {
    expect(fromEmulatorEvent({ Service: "Amazon S3", Event: "s3:TestEvent" })).toEqual([]);
    expect(fromEmulatorEvent(undefined)).toEqual([]);
  });

  it("puts each bucket's notifications in one configuration, filters only where the template has them", () => {
    // Act
    const configs = notificationConfigurations([
      { bucket: "lake", events: ["s3:ObjectCreated:*"], prefix: "raw/", suffix: "", functionArn: "arn:fn" },
      { bucket: "lake", events: ["s3:ObjectCreated:*"], prefix: "", suffix: ".csv", queueArn: "arn:q" },
      { bucket: "other", events: ["s3:ObjectCreated:Put"], prefix: "", suffix: "", functionArn: "arn:fn" },
    ]);

    // Assess
    expect(Object.fromEntries(configs)).toEqual({
      lake: {
        LambdaFunctionConfigurations: [
          {
            LambdaFunctionArn: "arn:fn",
            Events: ["s3:ObjectCreated:*"],
            Filter: { Key: { FilterRules: [{ Name: "prefix", Value: "raw/" }] } },
          },
        ],
        QueueConfigurations: [
          {
            QueueArn: "arn:q",
            Events: ["s3:ObjectCreated:*"],
            Filter: { Key: { FilterRules: [{ Name: "suffix", Value: ".csv" }] } },
          },
        ],
      },
      other: {
        LambdaFunctionConfigurations: [{ LambdaFunctionArn: "arn:fn", Events: ["s3:ObjectCreated:Put"] }],
      },
    });
  });

  it("names a function's internal queue after the function, qualifier left out", () => {
    expect(
      lambdaNotificationQueue("arn:aws:lambda:us-east-1:000000000000:function:pipeline-local-load-raw"),
    ).toBe("s3-invoke-pipeline-local-load-raw");
    expect(lambdaNotificationQueue("arn:aws:lambda:us-east-1:000000000000:function:f:live")).toBe(
      "s3-invoke-f",
    );
  });
});
