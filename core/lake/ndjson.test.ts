import { Readable } from "node:stream";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { decodeNdjsonGz, encodeNdjsonGz } from "./ndjson.ts";
import { decodeEventKey, encodeEventKey, objectCreatedEvent, objectsOfEvent } from "./s3-event.ts";

const tricky = [
  {
    topic: "sales.orders",
    offset: 1,
    value: { name: 'say "hi"\n\tthen \\ leave', emoji: "🗳️", crlf: "a\r\nb" },
  },
  { topic: "sales.orders", offset: 2, value: { nested: [1, 2.5, null, true], empty: "" } },
];

describe("gzip NDJSON", () => {
  it("round-trips values, one JSON document per line", async () => {
    // Prepare
    const encoded = await encodeNdjsonGz(tricky);
    // Act
    const decoded: unknown[] = [];
    for await (const line of decodeNdjsonGz(Readable.from([encoded]))) decoded.push(line);
    // Assess
    expect(decoded).toEqual(tricky);
    expect(gunzipSync(encoded).toString("utf8").split("\n")).toHaveLength(tricky.length + 1);
  });

  it("decodes when the gzip bytes arrive in small chunks", async () => {
    // Prepare
    const encoded = await encodeNdjsonGz(tricky);
    const chunks = Array.from({ length: Math.ceil(encoded.length / 7) }, (_, i) =>
      encoded.subarray(i * 7, i * 7 + 7),
    );
    // Act
    const decoded: unknown[] = [];
    for await (const line of decodeNdjsonGz(Readable.from(chunks))) decoded.push(line);
    // Assess
    expect(decoded).toEqual(tricky);
  });
});

describe("S3 notification keys", () => {
  it("URL-decodes keys the way S3 encodes them (space as +)", () => {
    // Prepare
    const key = "incoming/sales/Sample Superstore+2 (copy).csv";
    const event = objectCreatedEvent([{ bucket: "b", key, etag: "e" }]);
    // Act
    const [object] = objectsOfEvent(event);
    // Assess
    expect(event.Records[0]?.s3.object.key).toBe("incoming/sales/Sample+Superstore%2B2+(copy).csv");
    expect(object?.key).toBe(key);
    expect(decodeEventKey(encodeEventKey(key))).toBe(key);
  });
});
