/**
 * S3 ObjectCreated notifications: building them (tests, and the local runtime when it turns
 * the emulator's notifications into S3's full shape) and reading the object references back out. S3 URL-encodes
 * keys in notifications (space as "+"), so keys are decoded here.
 */
import type { S3Event, S3EventRecord } from "aws-lambda";

export interface ObjectRef {
  readonly bucket: string;
  readonly key: string;
  readonly etag: string;
  readonly size?: number;
}

/** S3's encoding of a key in notifications: URI-encoded, spaces as "+", "/" kept. */
export function encodeEventKey(key: string): string {
  return encodeURIComponent(key).replaceAll("%20", "+").replaceAll("%2F", "/");
}

export function decodeEventKey(key: string): string {
  return decodeURIComponent(key.replaceAll("+", " "));
}

/** What one notification says besides its objects (S3 fills these in per configuration and request). */
export interface EventDetails {
  /** e.g. "ObjectCreated:Put", "ObjectCreated:CompleteMultipartUpload". */
  readonly eventName?: string;
  /** The Id of the bucket's notification configuration that matched. */
  readonly configurationId?: string;
  readonly awsRegion?: string;
}

export function objectCreatedEvent(
  objects: readonly ObjectRef[],
  eventTime = new Date(),
  details: EventDetails = {},
): S3Event {
  return {
    Records: objects.map(
      (o): S3EventRecord => ({
        eventVersion: "2.1",
        eventSource: "aws:s3",
        awsRegion: details.awsRegion ?? process.env.AWS_REGION ?? "us-east-1",
        eventTime: eventTime.toISOString(),
        eventName: details.eventName ?? "ObjectCreated:Put",
        userIdentity: { principalId: "local" },
        requestParameters: { sourceIPAddress: "127.0.0.1" },
        responseElements: { "x-amz-request-id": "local", "x-amz-id-2": "local" },
        s3: {
          s3SchemaVersion: "1.0",
          configurationId: details.configurationId ?? "raw-objects",
          bucket: {
            name: o.bucket,
            ownerIdentity: { principalId: "local" },
            arn: `arn:aws:s3:::${o.bucket}`,
          },
          object: { key: encodeEventKey(o.key), size: o.size ?? 0, eTag: o.etag, sequencer: "0" },
        },
      }),
    ),
  };
}

/** The ObjectCreated objects of an S3 event (other event kinds are ignored). */
export function objectsOfEvent(event: Pick<S3Event, "Records">): ObjectRef[] {
  return event.Records.filter((r) => r.eventName.startsWith("ObjectCreated:")).map((r) => ({
    bucket: r.s3.bucket.name,
    key: decodeEventKey(r.s3.object.key),
    etag: r.s3.object.eTag,
    size: r.s3.object.size,
  }));
}
