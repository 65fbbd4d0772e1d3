import { execFile } from "node:child_process";
import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { finished } from "node:stream/promises";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { createKafka, ensureTopics } from "../../core/kafka/client.ts";
import { createIngestEnv, highWatermarks, type IngestEnv, uniqueName } from "./ingest-helpers.ts";

const HEAP_MB = 64;
const ROWS = 75_000;
const NOTE = "x".repeat(2000);
/** Every 10,000th row breaks the schema: it must be quarantined, not produced. */
const isBad = (id: number) => id % 10_000 === 0;

/** ~150 MB of NDJSON, written as a stream (the test itself never holds it either). */
async function writeBigFile(path: string): Promise<void> {
  const out = createWriteStream(path);
  for (let id = 1; id <= ROWS; id++) {
    const line = isBad(id) ? `{"id":"not a number","note":"bad"}\n` : `{"id":${id},"note":"${NOTE}"}\n`;
    if (!out.write(line)) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
  }
  out.end();
  await finished(out);
}

describe("file-to-topic with a heap smaller than the file", () => {
  const path = join(tmpdir(), `${uniqueName("bigfile")}.ndjson`);
  const topic = uniqueName("it-bigfile");
  let env: IngestEnv;

  afterAll(async () => {
    await rm(path, { force: true });
    const admin = createKafka(env.config.kafka, "-it-cleanup").admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.disconnect();
    await env.cleanup();
  });

  it(`streams a ~150 MB file through a ${HEAP_MB} MB heap and produces every valid row`, async () => {
    // Prepare
    env = await createIngestEnv();
    await writeBigFile(path);
    const admin = createKafka(env.config.kafka, "-it-admin").admin();
    await admin.connect();
    await ensureTopics(admin, [{ topic, partitions: 3 }]);

    // Act
    const child = await promisify(execFile)(
      process.execPath,
      [`--max-old-space-size=${HEAP_MB}`, join(import.meta.dirname, "file-to-topic-child.ts"), path, topic],
      {
        env: { ...process.env, POWERTOOLS_LOG_LEVEL: "WARN", KAFKAJS_NO_PARTITIONER_WARNING: "1" },
        timeout: 240_000,
      },
    );
    const result = JSON.parse(child.stdout.trim().split("\n").at(-1) ?? "{}");
    const marks = await highWatermarks(admin, [topic]);
    await admin.disconnect();

    // Assess
    const bad = Math.floor(ROWS / 10_000);
    expect(result.size).toBeGreaterThan(2 * HEAP_MB * 1024 * 1024);
    expect(result.peakHeap).toBeLessThan(HEAP_MB * 1024 * 1024);
    expect(result).toMatchObject({ status: "done", produced: ROWS - bad, quarantined: bad });
    expect([...marks.values()].reduce((a, b) => a + b, 0)).toBe(ROWS - bad);
  }, 300_000);
});
