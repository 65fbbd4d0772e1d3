/**
 * The pipeline run's Lambda steps and the topics custom resource against the real services:
 * quality-gate and publish-summary on the S3 emulator, topics-provisioner on the Kafka broker
 * answering a real HTTP response URL.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resetAwsClients, s3 } from "../../core/aws/clients.ts";
import { loadConfig } from "../../core/config/index.ts";
import { createKafka } from "../../core/kafka/client.ts";
import { handler as publishSummary } from "../../lambdas/publish-summary/index.ts";
import { DbtRunFailed, QualityGateFailed } from "../../lambdas/quality-gate/errors.ts";
import { handler as qualityGate } from "../../lambdas/quality-gate/index.ts";
import { handler as provisionTopics } from "../../lambdas/topics-provisioner/index.ts";

const fixture = (name: string) =>
  readFileSync(new URL(`../../lambdas/quality-gate/fixtures/${name}`, import.meta.url), "utf8");

describe("pipeline run steps on the S3 emulator", () => {
  const bucket = `run-steps-${randomUUID()}`;
  let savedBucket: string | undefined;

  beforeAll(async () => {
    resetAwsClients();
    savedBucket = process.env.ARTIFACTS_BUCKET;
    process.env.ARTIFACTS_BUCKET = bucket;
    await s3().send(new CreateBucketCommand({ Bucket: bucket }));
  });
  afterAll(async () => {
    process.env.ARTIFACTS_BUCKET = savedBucket;
    if (savedBucket === undefined) delete process.env.ARTIFACTS_BUCKET;
    const listed = await s3().send(new ListObjectsV2Command({ Bucket: bucket }));
    const objects = (listed.Contents ?? []).map((o) => ({ Key: o.Key as string }));
    if (objects.length > 0)
      await s3().send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects } }));
    await s3().send(new DeleteBucketCommand({ Bucket: bucket }));
  });

  const putRunResults = (runId: string, name: string) =>
    s3().send(
      new PutObjectCommand({ Bucket: bucket, Key: `dbt/${runId}/run_results.json`, Body: fixture(name) }),
    );

  it("quality gate passes a run whose run_results.json has no failure", async () => {
    await putRunResults("run-ok", "run_results.passed.json");

    const verdict = await qualityGate({ runId: "run-ok", exitCode: 0 });

    expect(verdict).toMatchObject({ passed: true, counts: { success: 1, pass: 1, warn: 1 } });
  });

  it("quality gate fails the run with dbt's messages when a test failed", async () => {
    await putRunResults("run-bad", "run_results.failed.json");

    const dbtState = { StopCode: "EssentialContainerExited", Containers: [{ Name: "dbt", ExitCode: 1 }] };

    const act = qualityGate({ runId: "run-bad", dbt: dbtState });

    await expect(act).rejects.toThrow(QualityGateFailed);
    await expect(act).rejects.toThrow(/unique_fct_votes_vote_id fail: Got 3 results/);
  });

  it("quality gate fails a run whose dbt left no run_results.json", async () => {
    const act = qualityGate({ runId: "run-crashed", exitCode: 2 });

    await expect(act).rejects.toThrow(DbtRunFailed);
    await expect(act).rejects.toThrow(/exited with code 2 and wrote no dbt\/run-crashed\/run_results.json/);
  });

  it("publish summary writes the run's summary next to its dbt artifacts", async () => {
    const run = {
      runId: "run-ok",
      dbtArgs: ["build"],
      load: { loaded: 2 },
      quality: { counts: { success: 4 } },
    };

    const result = await publishSummary({
      executionId: "arn:aws:states:::execution:x:run-ok",
      runId: "run-ok",
      run,
    });

    const stored = await s3().send(new GetObjectCommand({ Bucket: bucket, Key: "dbt/run-ok/summary.json" }));
    const summary = JSON.parse((await stored.Body?.transformToString()) ?? "{}");
    expect(result.key).toBe("dbt/run-ok/summary.json");
    expect(summary).toMatchObject({ runId: "run-ok", dbtNodes: { success: 4 }, load: { loaded: 2 } });
  });
});

describe("topics-provisioner on the Kafka broker", () => {
  const suffix = randomUUID().slice(0, 8);
  const topics = [`provisioned.a-${suffix}`, `provisioned.compacted-${suffix}`];
  const answers: { method?: string; body: Record<string, unknown> }[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (c: Buffer) => chunks.push(c));
    request.on("end", () => {
      answers.push({ method: request.method, body: JSON.parse(Buffer.concat(chunks).toString("utf8")) });
      response.end();
    });
  });
  let responseUrl = "";

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    responseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/response`;
  });
  afterAll(async () => {
    const admin = createKafka(loadConfig().kafka, "-test-cleanup").admin();
    await admin.connect();
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
    await new Promise((resolve) => server.close(resolve));
  });

  const event = (requestType: string, properties: Record<string, unknown>) => ({
    RequestType: requestType,
    ResponseURL: responseUrl,
    StackId: "stack",
    RequestId: randomUUID(),
    LogicalResourceId: "Topics",
    ResourceProperties: properties,
  });

  it("creates the topics with their partitions and compaction, and answers SUCCESS", async () => {
    const properties = {
      Topics: [
        { topic: topics[0], partitions: "3", compacted: "false" },
        { topic: topics[1], partitions: "2", compacted: "true" },
      ],
      ReplicationFactor: "1",
    };

    await provisionTopics(event("Create", properties));

    const admin = createKafka(loadConfig().kafka, "-test").admin();
    await admin.connect();
    const metadata = await admin.fetchTopicMetadata({ topics });
    const configs = await admin.describeConfigs({
      resources: [{ type: 2, name: topics[1] as string, configNames: ["cleanup.policy"] }],
      includeSynonyms: false,
    });
    await admin.disconnect();
    const partitions = metadata.topics.map((t) => [t.name, t.partitions.length]);
    expect(partitions.sort()).toEqual([
      [topics[0], 3],
      [topics[1], 2],
    ]);
    expect(configs.resources[0]?.configEntries[0]?.configValue).toBe("compact");
    expect(answers.at(-1)).toMatchObject({
      method: "PUT",
      body: { Status: "SUCCESS", Data: { Created: topics.join(",") } },
    });
  });

  it("answers FAILED with the reason instead of hanging the deployment", async () => {
    const properties = {
      Topics: [{ topic: `bad topic ${suffix}!`, partitions: "1", compacted: "false" }],
      ReplicationFactor: "1",
    };

    await provisionTopics(event("Update", properties));

    expect(answers.at(-1)?.body).toMatchObject({
      Status: "FAILED",
      Reason: expect.stringMatching(/invalid topic/),
    });
  });

  it("creates topics with the resource's replication factor: more copies than brokers fail the deploy", async () => {
    // The offline cluster has one broker; MSK's stack asks for 3 (2 on two provisioned brokers).
    const properties = {
      Topics: [{ topic: `replicated-${suffix}`, partitions: "1", compacted: "false" }],
      ReplicationFactor: "2",
    };

    await provisionTopics(event("Create", properties));

    expect(answers.at(-1)?.body).toMatchObject({
      Status: "FAILED",
      Reason: expect.stringMatching(/replication.factor/i),
    });
  });
});
