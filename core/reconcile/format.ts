/** The human form of a reconcile report: one table row per topic, then each issue on its own line. */
import type { ReconcileReport } from "./reconcile.ts";
import type { Issue, TopicReconciliation } from "./verdict.ts";

const COLUMNS = [
  "topic",
  "kafka",
  "landed",
  "quarantined",
  "raw rows",
  "staging",
  "lost",
  "in flight",
  "dup by key",
  "verdict",
] as const;

export function formatReport(report: ReconcileReport): string {
  const rows = report.topics.map(row);
  const widths = COLUMNS.map((c, i) => Math.max(c.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join("  ");
  const out = [line(COLUMNS), ...rows.map(line)];
  for (const topic of report.topics) {
    for (const issue of topic.issues) out.push(`${topic.topic}: ${describeIssue(issue)}`);
    const reasons = Object.entries(topic.quarantined.byReason);
    if (reasons.length > 0)
      out.push(`${topic.topic}: quarantined by reason: ${reasons.map(([r, n]) => `${r} ${n}`).join(", ")}`);
  }
  out.push(
    report.reconciled
      ? "every record accounted for"
      : report.settled
        ? "NOT reconciled"
        : "not reconciled yet: the stages moved while they were read (records in flight) — run again",
  );
  return out.join("\n");
}

function row(t: TopicReconciliation): string[] {
  return [
    t.topic,
    t.kafka.exists ? String(t.kafka.records) : "no topic",
    String(t.landed.records),
    String(t.quarantined.records),
    String(t.raw.rows),
    t.staging.built ? String(t.staging.rows) : "not built",
    String(t.lost),
    String(t.inFlight),
    String(t.duplicated),
    t.reconciled ? "ok" : `${t.issues.length} issue(s)`,
  ];
}

export function describeIssue(issue: Issue): string {
  const where = issue.partition === undefined ? "" : ` partition ${issue.partition}`;
  const ranges = issue.ranges?.map((r) => (r.from === r.to ? `${r.from}` : `${r.from}-${r.to}`)).join(", ");
  return `${issue.stage} ${issue.kind}: ${issue.count} record(s)${where}${ranges ? ` at offsets ${ranges}` : ""} (${issue.detail})`;
}
