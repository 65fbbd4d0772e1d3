/**
 * S3 ObjectCreated notifications, delivered by listing the watched prefixes: the emulator
 * can't invoke an in-process function, so we notice new objects (key + ETag) ourselves and
 * send the exact S3 event shape — straight to the function, or to the queue the template
 * puts in between. What was delivered is remembered on disk, so a restart resumes where it
 * stopped; what failed is retried on the next scan (at-least-once, like S3's own delivery).
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import type { S3Event } from "aws-lambda";
import { s3 } from "../../../core/aws/clients.ts";
import { objectCreatedEvent } from "../../../core/lake/s3-event.ts";

export interface WatchedPrefix {
  readonly bucket: string;
  readonly prefix: string;
  readonly suffix: string;
  /** Delivers one S3 event (one record, as S3 sends it); throws to have it retried. */
  readonly deliver: (event: S3Event) => Promise<void>;
}

export interface S3PollerOptions {
  /** File remembering delivered `bucket/key@etag` lines across restarts. */
  readonly journalPath: string;
  readonly intervalMs?: number;
  /** How many objects are delivered at the same time. */
  readonly concurrency?: number;
  readonly log?: (message: string) => void;
}

export class S3Poller {
  private readonly delivered = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private scanning: Promise<void> | undefined;
  private readonly watched: readonly WatchedPrefix[];
  private readonly options: S3PollerOptions;
  deliveries = 0;
  failures = 0;

  constructor(watched: readonly WatchedPrefix[], options: S3PollerOptions) {
    this.watched = watched;
    this.options = options;
    if (existsSync(options.journalPath)) {
      for (const line of readFileSync(options.journalPath, "utf8").split("\n"))
        if (line) this.delivered.add(line);
    } else mkdirSync(dirname(options.journalPath), { recursive: true });
  }

  start(): void {
    const tick = async () => {
      await this.scanOnce();
      this.timer = setTimeout(tick, this.options.intervalMs ?? 1000);
    };
    void tick();
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.scanning;
  }

  /** One pass over every watched prefix; resolves when every new object was delivered or failed. */
  scanOnce(): Promise<void> {
    this.scanning ??= this.scan().finally(() => {
      this.scanning = undefined;
    });
    return this.scanning;
  }

  private async scan(): Promise<void> {
    for (const watch of this.watched) {
      const pending: Array<{ key: string; etag: string; size: number }> = [];
      let token: string | undefined;
      try {
        do {
          const page = await s3().send(
            new ListObjectsV2Command({
              Bucket: watch.bucket,
              Prefix: watch.prefix,
              ContinuationToken: token,
            }),
          );
          for (const object of page.Contents ?? []) {
            const key = object.Key ?? "";
            const etag = (object.ETag ?? "").replaceAll('"', "");
            if (!key.endsWith(watch.suffix) || this.delivered.has(journalLine(watch.bucket, key, etag)))
              continue;
            pending.push({ key, etag, size: object.Size ?? 0 });
          }
          token = page.NextContinuationToken;
        } while (token);
      } catch (error) {
        this.options.log?.(
          `listing s3://${watch.bucket}/${watch.prefix} failed: ${(error as Error).message}`,
        );
        continue;
      }
      // Oldest keys first keeps loads roughly in landing order.
      pending.sort((a, b) => a.key.localeCompare(b.key));
      await forEachLimited(pending, this.options.concurrency ?? 4, async (object) => {
        try {
          await watch.deliver(objectCreatedEvent([{ bucket: watch.bucket, ...object }]));
          this.markDelivered(journalLine(watch.bucket, object.key, object.etag));
          this.deliveries += 1;
        } catch (error) {
          this.failures += 1;
          this.options.log?.(
            `s3://${watch.bucket}/${object.key}: ${(error as Error).message} (retried on the next scan)`,
          );
        }
      });
    }
  }

  private markDelivered(line: string): void {
    this.delivered.add(line);
    appendFileSync(this.options.journalPath, `${line}\n`);
  }
}

function journalLine(bucket: string, key: string, etag: string): string {
  return `${bucket}/${key}@${etag}`;
}

async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  });
  await Promise.all(workers);
}
