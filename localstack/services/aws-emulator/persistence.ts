/**
 * Keeps the emulator's state across a restart, as PostgreSQL's data directory and Kafka's log
 * do for theirs: moto holds everything in memory and has no snapshot, but its recorder can log
 * every request it serves (MOTO_ENABLE_RECORDING). Before a restart we keep the requests that
 * changed state, and serve.py replays them into moto before it opens the port, so buckets,
 * objects, tables, queues and secrets come back (a secret's ARN keeps its name but gets a new
 * random suffix).
 *
 * What is left out of the replay: reads (GET, HEAD, DynamoDB/SQS reads cost time and change
 * nothing), and SQS receives, deletes and visibility changes (their receipt handles are random
 * per run): a message sent with SendMessage that had been received and deleted is delivered
 * again after a restart, which SQS's at-least-once delivery allows and every consumer here
 * tolerates.
 *
 * S3 notifications are exact across a restart: the replay sends none (a replayed PutObject
 * would notify again), and serve.py logs each notification's message itself and each deleted
 * message's id instead; compacting drops the messages that were deleted (and the deletes), so
 * the replay puts back exactly the events not consumed before the stop.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** The recorder's log of one state dir's emulator. */
export function recordingFile(serviceDir: string): string {
  return join(serviceDir, "recording.ndjson");
}

/** The environment that makes moto log every request to `file`. */
export function recordingEnv(file: string): Record<string, string> {
  return { MOTO_ENABLE_RECORDING: "true", MOTO_RECORDER_FILEPATH: file };
}

/**
 * Keeps only the log's state-changing entries, in order, and returns how many: the log then
 * is both what serve.py replays before it listens and the start of the next run's log.
 */
export function compactRecording(file: string): number {
  if (!existsSync(file)) return 0;
  const entries = withoutDeletedMessages(splitEntries(readFileSync(file, "utf8")).filter(changesState));
  writeFileSync(file, entries.map((entry) => `${entry}\n`).join(""));
  return entries.length;
}

/** serve.py's entry for a message an S3 notification sent (queue, id, body), replayed as it was. */
export const NOTIFICATION_MESSAGE_PATH = "/_pipeline/notification-message";
/** serve.py's entry for a message deleted from a queue (its id). */
export const DELETED_MESSAGE_PATH = "/_pipeline/deleted-message";

/**
 * The entries without the notifications' messages that were deleted since they were sent, and
 * without the deletes: what is left of them are the events not yet consumed. A delete may be
 * logged before its message (the consumer was quicker than the log's write).
 */
export function withoutDeletedMessages(entries: readonly string[]): string[] {
  const ours = entries.map(ownEntry);
  const deleted = new Set(ours.flatMap((e) => (e?.path === DELETED_MESSAGE_PATH ? [e.id] : [])));
  return entries.filter((_, i) => {
    const own = ours[i];
    if (!own) return true;
    return own.path === NOTIFICATION_MESSAGE_PATH && !deleted.has(own.id);
  });
}

function ownEntry(entry: string): { path: string; id: string } | undefined {
  if (!entry.includes("/_pipeline/")) return undefined; // cheap: most entries are moto's requests
  const request = JSON.parse(entry) as RecordedRequest & { body?: string };
  const path = request.url ? new URL(request.url).pathname : "";
  if (path !== NOTIFICATION_MESSAGE_PATH && path !== DELETED_MESSAGE_PATH) return undefined;
  const { id } = JSON.parse(request.body ?? "{}") as { id?: unknown };
  return typeof id === "string" ? { path, id } : undefined;
}

interface RecordedRequest {
  readonly method: string;
  readonly url?: string;
  readonly headers: Record<string, string>;
}

/**
 * The log's entries. moto writes each entry and its newline in two writes from concurrent
 * threads, so two entries can share a line; every entry starts with its "headers" key.
 */
export function splitEntries(log: string): string[] {
  return log
    .split(/(?=\{"headers":\s*\{)/)
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
}

const READ_ONLY_TARGETS =
  /^(DynamoDB_\d+\.(Get|BatchGet|Query|Scan|Describe|List)|AmazonSQS\.(ReceiveMessage|DeleteMessage|DeleteMessageBatch|ChangeMessageVisibility|ChangeMessageVisibilityBatch|Get|List)|secretsmanager\.(Get|Describe|List)|AWSStepFunctions\.(Describe|List|Get))/;
const READ_ONLY_QUERY_ACTIONS = /[?&]Action=(ReceiveMessage|DeleteMessage|ChangeMessageVisibility|Get|List)/;

export function changesState(entry: string): boolean {
  let request: RecordedRequest;
  try {
    request = JSON.parse(entry) as RecordedRequest;
  } catch {
    return false; // a torn last line (the emulator stopped mid-write): the request never completed
  }
  if (request.method === "GET" || request.method === "HEAD") return false;
  const target = request.headers["X-Amz-Target"] ?? request.headers["x-amz-target"] ?? "";
  if (READ_ONLY_TARGETS.test(target)) return false;
  return !READ_ONLY_QUERY_ACTIONS.test(request.url ?? "");
}
