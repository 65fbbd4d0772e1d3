/**
 * Faults at the edges of landing, on the local stack and its own services:
 * - land-records fails after it wrote its raw object and before the mapping committed the
 *   offsets (here: the quarantine bucket is gone, so the batch's second write fails). The
 *   mapping retries the same batch, which overwrites the same deterministic key: reconcile
 *   counts every record once.
 * - a record bigger than the broker's `message.max.bytes` in an uploaded file: the producer
 *   refuses it before Kafka would reject its whole batch, file-to-topic quarantines it with
 *   the reason, and the file's other rows go through; reconcile is exact.
 */
import { randomUUID } from "node:crypto";
import { CreateBucketCommand, DeleteBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { s3 } from "../../core/aws/clients.ts";
import { loadConfig } from "../../core/config/index.ts";
import { connectProducer, createKafka } from "../../core/kafka/client.ts";
import { DEFAULT_MAX_MESSAGE_BYTES } from "../../core/producer/produce.ts";
import type { ReconcileReport } from "../../core/reconcile/index.ts";
import { readConsumerLag, readKafkaOffsets } from "../../core/reconcile/readers.ts";
import { kafkaRecords } from "../../core/reconcile/verdict.ts";
import { DEFAULT_MAX_LINE_BYTES } from "../../core/sources/lines.ts";
import { landingGroups } from "../../demo/wait-for-loaded.ts";
import { validOrder, validVote } from "../fixtures/records.ts";
import { until } from "../fixtures/until.ts";
import {
  type FaultStack,
  reconcileJson,
  startFaultStack,
  verdictRows,
  waitUntilLoaded,
} from "./fault-harness.ts";
import { listObjects, readLines } from "./ingest-helpers.ts";

describe("landing faults", () => {
  let stack: FaultStack;

  beforeAll(async () => {
    stack = await startFaultStack();
  }, 300_000);

  afterAll(async () => stack?.release());

  describe("land-records failing after its raw object is written, before the offset commit", () => {
    const { buckets } = loadConfig();
    const failure = /land-records failed on elections\.votes-0@(\d+)-(\d+) \(attempt 1\): (.*)/;
    let rawKeysAtFailure: string[] = [];
    let lagAtFailure = 0;
    let firstError = "";
    let rawKeysAtEnd: string[] = [];
    let landedLines = 0;
    let reconciled: { report: ReconcileReport; exitCode: number };

    beforeAll(async () => {
      // Prepare: no quarantine bucket, and one partition batch of 20 votes and a broken record.
      await s3().send(new DeleteBucketCommand({ Bucket: buckets.quarantine }));
      const producer = await connectProducer(createKafka(loadConfig().kafka, "-fault"));
      const vote = () => {
        const value = { ...validVote, voter_id: randomUUID() };
        return { partition: 0, key: value.voter_id, value: JSON.stringify(value) };
      };
      await producer.send({
        topic: "elections.votes",
        messages: [
          ...Array.from({ length: 20 }, vote),
          { partition: 0, key: "broken", value: '{"voter_id": ' },
        ],
      });
      await producer.disconnect();

      // Act: the first attempt writes the raw object, fails on the quarantine object, and
      // is retried; the bucket comes back before the retries run out.
      const match = await until("land-records' first failure", () =>
        stack.log.map((line) => failure.exec(line)).find((m) => m !== null),
      );
      firstError = match?.[3] ?? "";
      rawKeysAtFailure = (await listObjects(buckets.raw, "raw/elections/votes/")).map((o) => o.key);
      const votesGroup = landingGroups(stack.runtime).find((g) => g.topics.includes("elections.votes"));
      lagAtFailure = await readConsumerLag(loadConfig(), votesGroup?.groupId ?? "", ["elections.votes"]);
      await s3().send(new CreateBucketCommand({ Bucket: buckets.quarantine }));
      await waitUntilLoaded(stack);
      rawKeysAtEnd = (await listObjects(buckets.raw, "raw/elections/votes/")).map((o) => o.key);
      landedLines = (await readLines(buckets.raw, rawKeysAtEnd[0] as string)).length;
      reconciled = await reconcileJson("elections");
    }, 240_000);

    it("failed after writing the raw object and before committing the offsets", () => {
      // Assess
      expect(firstError).toContain(`could not write s3://${buckets.quarantine}/`);
      expect(rawKeysAtFailure).toHaveLength(1);
      expect(rawKeysAtFailure[0]).toMatch(/\/p=0\/00000000000000000000-00000000000000000020\.ndjson\.gz$/);
      expect(lagAtFailure).toBe(21);
    });

    it("overwrote the same object on the retry: one object, each record once", () => {
      // Assess
      expect(rawKeysAtEnd).toEqual(rawKeysAtFailure);
      expect(landedLines).toBe(20);
    });

    it("reconciles exactly, the broken record quarantined", () => {
      // Assess
      const votes = reconciled.report.topics.find((t) => t.topic === "elections.votes");
      expect(votes?.landed).toEqual({ records: 20, lines: 20, objects: 1 });
      expect(votes?.quarantined).toMatchObject({ records: 1, byReason: { "invalid-json": 1 } });
      expect(verdictRows(reconciled.report)).toEqual([
        ["elections.candidates", 0, 0, 0, 0, []],
        ["elections.voters", 0, 0, 0, 0, []],
        ["elections.votes", 21, 20, 0, 0, []],
      ]);
      expect(reconciled.exitCode).toBe(0);
    });
  });

  describe("a record larger than the broker's message.max.bytes in an uploaded file", () => {
    const { buckets } = loadConfig();
    const key = `incoming/sales/orders-${randomUUID()}.ndjson`;
    let quarantined: Array<{ line: number; reason: string }> = [];
    let reconciled: { report: ReconcileReport; exitCode: number };

    beforeAll(async () => {
      // Prepare: three orders; the second is as long as a line of a file may be (1 MiB),
      // but with its key and headers more than the broker takes in a batch.
      const order = (row: number, productName: string) => ({
        ...validOrder,
        "Row ID": row,
        "Product Name": productName,
      });
      const padding = DEFAULT_MAX_LINE_BYTES - 16 - JSON.stringify(order(2, "")).length;
      const lines = [order(1, "desk"), order(2, "x".repeat(padding)), order(3, "chair")].map((o) =>
        JSON.stringify(o),
      );

      // Act: upload it; file-to-topic produces it.
      await s3().send(new PutObjectCommand({ Bucket: buckets.raw, Key: key, Body: `${lines.join("\n")}\n` }));
      const rejects = await until("the file's quarantine part", async () => {
        const objects = await listObjects(buckets.quarantine, `quarantine/sales/orders/files/${key}/`);
        return objects[0];
      });
      quarantined = await readLines(buckets.quarantine, rejects.key);
      await until("both small orders in Kafka", async () => {
        const offsets = await readKafkaOffsets(loadConfig(), ["sales.orders"]);
        return kafkaRecords(offsets.get("sales.orders") ?? []) === 2 ? true : undefined;
      });
      await waitUntilLoaded(stack);
      reconciled = await reconcileJson("sales");
    }, 240_000);

    it("quarantines the oversized row with the reason, never sending it", () => {
      // Assess
      expect(quarantined.map((q) => [q.line, q.reason])).toEqual([
        [
          2,
          `oversized: with its key and headers, more than the broker's message.max.bytes (${DEFAULT_MAX_MESSAGE_BYTES})`,
        ],
      ]);
    });

    it("produces the file's other rows and reconciles them exactly", () => {
      // Assess
      expect(verdictRows(reconciled.report)).toEqual([["sales.orders", 2, 2, 0, 0, []]]);
      expect(reconciled.exitCode).toBe(0);
    });
  });
});
