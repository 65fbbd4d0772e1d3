import { gunzipSync } from "node:zlib";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { s3 } from "../../core/aws/clients.ts";
import { loadConfig } from "../../core/config/index.ts";
import { getDataset } from "../../core/datasets/index.ts";
import { listKeys } from "../../core/lake/list-keys.ts";
import { chooseSource, produceDataset } from "../../core/producer/produce-dataset.ts";
import { landingGroups, waitForLoaded } from "../../demo/wait-for-loaded.ts";
import { openRuntime } from "../../localstack/runtime/open.ts";
import { type SeparateServices, useSeparateServices } from "./separate-services.ts";

interface Run {
  /** Topics of land-records' mappings, as the runtime runs them. */
  readonly landingTopics: string[];
  /** Records in each raw object the run landed, by key. */
  readonly recordsPerObject: Map<string, number>;
  readonly produced: number;
}

describe("local runtime follows the CDK configuration", () => {
  let services: SeparateServices;
  let first: Run;
  let second: Run;
  let electionsObjectsAfterFirst: string[] = [];
  let electionsObjectsAfterSecond: string[] = [];

  beforeAll(async () => {
    // Prepare: a second set of services on other ports; everything in this process uses it.
    services = await useSeparateServices();

    // Act: batches of 200 from every dataset topic (elections produced) …
    first = await runWith({ landingBatchSize: "200" }, "elections", 1_000, "raw/elections/");
    electionsObjectsAfterFirst = await listKeys(loadConfig().buckets.raw, "raw/elections/");
    // … then another environment: batches of 700 from sales.orders only.
    second = await runWith(
      { envName: "cfgb", landingBatchSize: "700", landingTopics: "sales.orders" },
      "sales",
      3_000,
      "raw/sales/",
    );
    electionsObjectsAfterSecond = await listKeys(loadConfig().buckets.raw, "raw/elections/");
  }, 900_000);

  afterAll(async () => {
    await services?.release();
  });

  it("delivers batches of at most the configured size, full ones where records wait", () => {
    for (const [run, size] of [
      [first, 200],
      [second, 700],
    ] as const) {
      const counts = [...run.recordsPerObject.values()];
      expect(Math.max(...counts)).toBe(size);
      expect(counts.reduce((a, b) => a + b, 0)).toBe(run.produced);
    }
  });

  it("consumes the configured topics: every dataset topic by default, only sales.orders when told", () => {
    expect(first.landingTopics.sort()).toEqual([
      "elections.candidates",
      "elections.voters",
      "elections.votes",
      "sales.orders",
      "stocks.prices",
    ]);
    expect(second.landingTopics).toEqual(["sales.orders"]);
    // The second run waited for every existing topic it consumes: had it consumed elections
    // (new consumer groups, from the start), it would have landed them again in other batches.
    expect(electionsObjectsAfterFirst.length).toBeGreaterThan(0);
    expect(electionsObjectsAfterSecond).toEqual(electionsObjectsAfterFirst);
  });
});

/**
 * Produces `count` records of a dataset (well over a batch per partition), then synthesizes with `context`, runs the runtime until everything is
 * landed and loaded, and reads back the raw objects under `prefix`. Producing first means
 * records wait for the consumer, so batches fill up to the batch size.
 */
async function runWith(
  context: Record<string, string>,
  dataset: string,
  count: number,
  prefix: string,
): Promise<Run> {
  const options = { count, seed: 5 };
  const source = chooseSource(getDataset(dataset), undefined, options).open(options);
  const result = await produceDataset(loadConfig(), getDataset(dataset), source);
  const runtime = await openRuntime({ context, log: () => undefined });
  try {
    await runtime.deploy();
    await runtime.start();
    await waitForLoaded(landingGroups(runtime), 600_000, () => undefined);
  } finally {
    await runtime.stop();
  }
  const landingTopics = runtime.kafkaMappings
    .filter((m) => m.spec.functionName.endsWith("-land-records"))
    .flatMap((m) => m.spec.topics);
  const recordsPerObject = new Map<string, number>();
  for (const key of await listKeys(loadConfig().buckets.raw, prefix)) {
    const object = await s3().send(new GetObjectCommand({ Bucket: loadConfig().buckets.raw, Key: key }));
    const text = gunzipSync(await (object.Body?.transformToByteArray() ?? new Uint8Array())).toString("utf8");
    recordsPerObject.set(key, text.split("\n").filter(Boolean).length);
  }
  return { landingTopics, recordsPerObject, produced: result.produced };
}
