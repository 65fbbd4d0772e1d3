/**
 * GET /api/stages: records per stage for every dataset topic (Kafka → raw/ and quarantine/ →
 * raw table → staging view) and the quarantine counts by reason, from core/reconcile. A
 * reconcile reads every lake object, so one result serves the pollers for a few seconds.
 */
import { loadConfig } from "../../core/config/index.ts";
import { datasets } from "../../core/datasets/index.ts";
import { type ReconcileReport, reconcile, topicLocations } from "../../core/reconcile/index.ts";
import { SourceUnavailableError } from "./errors.ts";

/** How long one reconcile answers for (ms): `STAGES_CACHE_MS`, default 10 s. */
const cacheMs = () => Number(process.env.STAGES_CACHE_MS ?? 10_000);

let cached: { at: number; report: Promise<ReconcileReport> } | undefined;

export async function getStages() {
  if (process.env.STAGE_COUNTS === "off") {
    return { available: false, reason: "records per stage are read offline only (npx pipeline reconcile)" };
  }
  const now = Date.now();
  if (!cached || now - cached.at > cacheMs()) {
    const config = loadConfig();
    const report = reconcile(config, topicLocations(config, datasets));
    cached = { at: now, report };
    // A failed read is not kept: the next poll tries again.
    report.catch(() => {
      if (cached?.report === report) cached = undefined;
    });
  }
  let report: ReconcileReport;
  try {
    report = await cached.report;
  } catch (error) {
    throw new SourceUnavailableError("the stage counts", error);
  }
  const quarantineByReason: Record<string, number> = {};
  for (const t of report.topics) {
    for (const [reason, n] of Object.entries(t.quarantined.byReason)) {
      quarantineByReason[reason] = (quarantineByReason[reason] ?? 0) + n;
    }
  }
  return {
    available: true,
    reconciled: report.reconciled,
    readAt: new Date(cached?.at ?? now).toISOString(),
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
      duplicated: t.duplicated,
      issues: t.issues.map((i) => `${i.stage}: ${i.kind} (${i.count})`),
    })),
    quarantineByReason,
  };
}
