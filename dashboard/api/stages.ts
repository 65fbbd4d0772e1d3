/**
 * GET /api/stages: records per stage for every dataset topic (Kafka → raw/ and quarantine/ →
 * raw table → staging view) and the quarantine counts by reason, from core/reconcile. A
 * reconcile reads every lake object, which takes long on a big lake, and the function serves
 * one request at a time: so a poll answers with the last finished read (its `readAt` says
 * how old) and starts the next one in the background once that read is older than
 * `STAGES_CACHE_MS` (10 s). Only the very first poll waits for a read.
 */
import { loadConfig } from "../../core/config/index.ts";
import { datasets } from "../../core/datasets/index.ts";
import { type ReconcileReport, reconcile, topicLocations } from "../../core/reconcile/index.ts";
import { SourceUnavailableError } from "./errors.ts";

const cacheMs = () => Number(process.env.STAGES_CACHE_MS ?? 10_000);

interface Read {
  readonly at: number;
  readonly report: ReconcileReport;
}

let latest: Read | undefined;
let reading: Promise<Read> | undefined;

function startRead(): Promise<Read> {
  if (!reading) {
    const config = loadConfig();
    const at = Date.now();
    reading = reconcile(config, topicLocations(config, datasets))
      .then((report) => {
        latest = { at, report };
        return latest;
      })
      .finally(() => {
        reading = undefined;
      });
    // A background read that fails is retried by the next poll; nothing waits on it here.
    reading.catch(() => undefined);
  }
  return reading;
}

export async function getStages() {
  if (process.env.STAGE_COUNTS === "off") {
    return { available: false, reason: "records per stage are read offline only (npx pipeline reconcile)" };
  }
  if (latest && Date.now() - latest.at > cacheMs()) void startRead();
  let read: Read;
  try {
    read = latest ?? (await startRead());
  } catch (error) {
    throw new SourceUnavailableError("the stage counts", error);
  }
  const { report } = read;
  const quarantineByReason: Record<string, number> = {};
  for (const t of report.topics) {
    for (const [reason, n] of Object.entries(t.quarantined.byReason)) {
      quarantineByReason[reason] = (quarantineByReason[reason] ?? 0) + n;
    }
  }
  return {
    available: true,
    reconciled: report.reconciled,
    settled: report.settled,
    readAt: new Date(read.at).toISOString(),
    // A newer read is under way: the page says so rather than pass an old snapshot as current.
    refreshing: reading !== undefined,
    topics: report.topics.map((t) => ({
      dataset: t.dataset,
      entity: t.entity,
      topic: t.topic,
      inKafka: t.kafka.records,
      landed: t.landed.records,
      quarantined: t.quarantined.records,
      rawRows: t.raw.rows,
      staging: t.staging.built ? t.staging.rows : null,
      lost: t.lost,
      inFlight: t.inFlight,
      duplicated: t.duplicated,
      issues: t.issues.map((i) => `${i.stage}: ${i.kind} (${i.count})`),
    })),
    quarantineByReason,
  };
}
