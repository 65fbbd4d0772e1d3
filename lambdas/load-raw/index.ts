/**
 * load-raw (S3 ObjectCreated on raw/, directly or through SQS): loads each landed object
 * into its raw table exactly once. Direct S3 events fail the invocation on error (S3's async
 * invoke retries); SQS batches report partial failures so only failed messages come back.
 */
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import { Logger } from "@aws-lambda-powertools/logger";
import type { SQSBatchResponse, SQSRecord } from "aws-lambda";
import { loadObjects, type ObjectLoad, warehouseTarget } from "../../core/warehouse/index.ts";
import { objectsOfMessage, parseLoadRawEvent, rawObjects } from "./parse-event.ts";

const logger = new Logger({ serviceName: "load-raw" });

export async function handler(
  event: unknown,
  context?: unknown,
): Promise<{ loads: ObjectLoad[] } | SQSBatchResponse> {
  const parsed = parseLoadRawEvent(event);
  const target = warehouseTarget();
  if (parsed.kind === "s3") {
    const loads = await loadObjects(target, rawObjects(parsed.event));
    logger.info("objects loaded", { loads });
    return { loads };
  }
  if (target.kind === "snowflake") {
    // One COPY for the whole batch; the per-message pass below then finds every key in the
    // manifest. If the batched load fails, the per-message pass isolates the bad messages.
    const all = parsed.event.Records.flatMap((r) => safeObjectsOfMessage(r));
    await loadObjects(target, all).catch((error) =>
      logger.warn("batched load failed, loading per message", { error }),
    );
  }
  const processor = new BatchProcessor(EventType.SQS);
  return processPartialResponse(
    parsed.event,
    async (record: SQSRecord) => {
      const loads = await loadObjects(target, objectsOfMessage(record));
      logger.info("objects loaded", { messageId: record.messageId, loads });
    },
    processor,
    { context: context as never },
  );
}

function safeObjectsOfMessage(record: SQSRecord) {
  try {
    return objectsOfMessage(record);
  } catch {
    return [];
  }
}
