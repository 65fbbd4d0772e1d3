/**
 * Run by file-to-topic-memory.test.ts in a child Node process with a small heap: streams a big
 * local NDJSON file through file-to-topic's processing (real Kafka, real S3 emulator for the
 * checkpoint and quarantine) and prints the result and the peak heap as JSON.
 *
 * Usage: node --max-old-space-size=64 file-to-topic-child.ts <file> <topic>
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { z } from "zod";
import { s3 } from "../../core/aws/clients.ts";
import { loadConfig } from "../../core/config/index.ts";
import { type Dataset, defineTopic } from "../../core/datasets/types.ts";
import { connectProducer, createKafka } from "../../core/kafka/client.ts";
import { processFile } from "../../lambdas/file-to-topic/process-file.ts";

const [file, topic] = process.argv.slice(2) as [string, string];

// A dataset of its own (adding one touches no pipeline code): wide rows, so the file is big.
const bigfile: Dataset = {
  name: "bigfile",
  description: "test rows",
  schemaVersion: 1,
  topics: [
    defineTopic({
      entity: "rows",
      topic,
      rawTable: "bigfile_rows",
      partitions: 3,
      schema: z.object({ id: z.number().int().positive(), note: z.string() }),
      key: (r) => String(r.id),
      eventTime: () => new Date(0).toISOString(),
    }),
  ],
};

let peakHeap = 0;
const sampler = setInterval(() => {
  peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
}, 50);

const config = loadConfig();
const producer = await connectProducer(createKafka(config.kafka, "-it-bigfile"));
const { size } = await stat(file);
try {
  const result = await processFile(
    { bucket: config.buckets.raw, key: "incoming/bigfile/rows.ndjson" },
    {
      s3: s3(),
      producer,
      datasets: [bigfile],
      quarantineBucket: config.buckets.quarantine,
      checkpointBucket: config.buckets.raw,
      stat: async () => ({ etag: `local-${size}-${topic}`, size }),
      open: async (_job, fromByte) => createReadStream(file, { start: fromByte, highWaterMark: 1024 * 1024 }),
    },
  );
  peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  console.log(
    JSON.stringify({
      status: result.status,
      produced: result.produced,
      quarantined: result.quarantined,
      peakHeap,
      size,
    }),
  );
} finally {
  clearInterval(sampler);
  await producer.disconnect();
}
