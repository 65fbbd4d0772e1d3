import { describe, expect, it } from "vitest";
import {
  changesState,
  DELETED_MESSAGE_PATH,
  NOTIFICATION_MESSAGE_PATH,
  splitEntries,
  withoutDeletedMessages,
} from "./persistence.ts";

const entry = (method: string, url: string, headers: Record<string, string> = {}) =>
  JSON.stringify({ headers, method, url, body: "", body_encoded: false });

describe("the emulator's request log", () => {
  it("splits entries that concurrent writes put on one line", () => {
    const a = entry("PUT", "http://127.0.0.1:4566/lake/a");
    const b = entry("PUT", "http://127.0.0.1:4566/lake/b");
    expect(splitEntries(`${a}${b}\n\n${a}\n`)).toEqual([a, b, a]);
  });

  it("replays what changed state, not reads, SQS receipts or a torn last line", () => {
    const target = (t: string) => ({ "X-Amz-Target": t });
    const kept = [
      entry("PUT", "http://h/lake/raw/x.ndjson.gz"),
      entry("DELETE", "http://h/lake/raw/x.ndjson.gz"),
      entry("POST", "http://h/", target("DynamoDB_20120810.PutItem")),
      entry("POST", "http://h/", target("AmazonSQS.SendMessage")),
      entry("POST", "http://h/", target("secretsmanager.CreateSecret")),
    ];
    const skipped = [
      entry("GET", "http://h/lake?list-type=2&prefix=raw%2F"),
      entry("HEAD", "http://h/lake/raw/x.ndjson.gz"),
      entry("POST", "http://h/", target("DynamoDB_20120810.Query")),
      entry("POST", "http://h/", target("DynamoDB_20120810.GetItem")),
      entry("POST", "http://h/", target("AmazonSQS.ReceiveMessage")),
      entry("POST", "http://h/", target("AmazonSQS.DeleteMessage")),
      entry("POST", "http://h/", target("secretsmanager.GetSecretValue")),
      '{"headers": {"Host": "h"}, "method": "PU',
    ];
    expect(kept.filter(changesState)).toEqual(kept);
    expect(skipped.filter(changesState)).toEqual([]);
  });

  it("keeps the notifications' messages not deleted since, and no deletes (serve.py's own entries)", () => {
    const own = (path: string, record: object) =>
      JSON.stringify({
        headers: {},
        method: "POST",
        url: `http://emulator${path}`,
        body: JSON.stringify(record),
      });
    const sent = (id: string) =>
      own(NOTIFICATION_MESSAGE_PATH, {
        account: "000000000000",
        region: "us-east-1",
        queue: "s3-invoke-f",
        id,
        body: "{}",
      });
    const deleted = (id: string) => own(DELETED_MESSAGE_PATH, { id });
    const put = (key: string) => entry("PUT", `http://h/lake/raw/${key}`);
    const log = [
      put("a"),
      sent("m-a"),
      put("b"),
      deleted("m-a"),
      deleted("m-c"), // consumed before its own entry was written
      put("c"),
      sent("m-c"),
      put("d"),
      sent("m-d"), // not consumed before the stop
      deleted("m-other"), // a message SendMessage sent: its delete is no entry to keep
    ];
    expect(log.every(changesState)).toBe(true);
    expect(withoutDeletedMessages(log)).toEqual([put("a"), put("b"), put("c"), put("d"), sent("m-d")]);
  });
});
