/**
 * "Load pending files": lists landed objects under raw/ (all of them, or the dt= days of a
 * date range for each declared raw table), and loads those the manifest doesn't hold yet
 * with the same loader as load-raw.
 */
import { ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { dayPrefixes, type ObjectRef, parseBatchKey, RAW_PREFIX } from "../../core/lake/index.ts";
import { loadObjects, rawTables, unloadedKeys, type WarehouseTarget } from "../../core/warehouse/index.ts";

export interface DateRange {
  /** First day, YYYY-MM-DD (inclusive). */
  readonly from: string;
  /** Last day, YYYY-MM-DD (inclusive). */
  readonly to: string;
}

export interface PendingResult {
  readonly listed: number;
  readonly alreadyLoaded: number;
  readonly loaded: number;
  readonly rowsInserted: number;
}

export function rawPrefixes(range?: DateRange): string[] {
  if (!range) return [RAW_PREFIX];
  const days = dayPrefixes(range.from, range.to);
  return rawTables().flatMap((t) => days.map((day) => `${RAW_PREFIX}${t.dataset}/${t.entity}/dt=${day}/`));
}

export async function listRawObjects(
  s3: S3Client,
  bucket: string,
  prefixes: readonly string[],
): Promise<ObjectRef[]> {
  const objects: ObjectRef[] = [];
  for (const prefix of prefixes) {
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const o of page.Contents ?? []) {
        // Only landed batches: anything else under raw/ is not ours to load.
        if (o.Key && parseBatchKey(o.Key)?.area === "raw") {
          objects.push({ bucket, key: o.Key, etag: o.ETag ?? "", size: o.Size });
        }
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }
  return objects;
}

export async function loadPending(
  s3: S3Client,
  bucket: string,
  target: WarehouseTarget,
  range?: DateRange,
): Promise<PendingResult> {
  const listed = await listRawObjects(s3, bucket, rawPrefixes(range));
  const pendingKeys = await unloadedKeys(
    target,
    listed.map((o) => o.key),
  );
  const loads = await loadObjects(
    target,
    listed.filter((o) => pendingKeys.has(o.key)),
  );
  const loaded = loads.filter((l) => l.status === "loaded");
  return {
    listed: listed.length,
    alreadyLoaded: listed.length - loaded.length,
    loaded: loaded.length,
    rowsInserted: loaded.reduce((total, l) => total + l.rowsInserted, 0),
  };
}
