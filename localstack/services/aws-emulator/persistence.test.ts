import { describe, expect, it } from "vitest";
import { changesState, splitEntries } from "./persistence.ts";

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
});
