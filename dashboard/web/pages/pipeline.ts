/**
 * Pipeline: runs like the Step Functions console (status, states with durations, retries and
 * errors), records per stage for every topic, and the quarantine counts by reason.
 */
import { api } from "../api.ts";
import { duration, el, renderTable, section, testIdPart } from "../dom.ts";
import { stagesStatus } from "../summaries.ts";
import type { Page } from "./page.ts";

interface Run {
  id: string;
  stateMachineName: string;
  status: string;
  startDate: string;
  durationMs: number | null;
  error: string | null;
  cause: string | null;
}

interface RunDetail {
  run: Run;
  states: {
    name: string;
    type: string;
    status: string;
    enteredAt: string;
    durationMs?: number;
    retries: number;
    error?: string;
    cause?: string;
  }[];
}

interface Stages {
  available: boolean;
  /** Why the counts aren't available (AWS: the API can't reach Kafka). */
  reason?: string;
  reconciled: boolean;
  readAt: string;
  /** A newer read is under way (the figures are those of `readAt`). */
  refreshing: boolean;
  topics: {
    topic: string;
    inKafka: number;
    landed: number;
    quarantined: number;
    rawRows: number;
    staging: number | null;
    lost: number;
    duplicated: number;
  }[];
  quarantineByReason: Record<string, number>;
}

export const pipelinePage: Page = {
  id: "pipeline",
  title: "Pipeline",
  render(root) {
    const runs = section("Runs");
    const runsTable = el("div");
    runs.append(runsTable);
    const detail = section("Run");
    const detailHead = el("p", { "data-testid": "run-detail-status" });
    const statesTable = el("div");
    detail.append(detailHead, statesTable);
    const stages = section("Records per stage", true);
    const stagesNote = el("p", { class: "note", "data-testid": "stages-read" });
    const stagesTable = el("div");
    stages.append(stagesNote, stagesTable);
    const quarantine = section("Quarantine by reason");
    const quarantineTable = el("div");
    quarantine.append(quarantineTable);
    root.append(runs, detail, stages, quarantine);
    let selected: string | undefined;
    const status = (s: { status: string }) => `status-${s.status}`;

    async function showRun(): Promise<void> {
      if (!selected) {
        detailHead.textContent = "No run yet: start one with npx pipeline run.";
        statesTable.replaceChildren();
        return;
      }
      const data = await api<RunDetail>(`runs/${encodeURIComponent(selected)}`);
      detailHead.textContent = `${data.run.id}: ${data.run.status}${data.run.error ? ` — ${data.run.error}: ${data.run.cause ?? ""}` : ""}`;
      renderTable(
        statesTable,
        [
          { title: "State", value: (s) => s.name },
          { title: "Type", value: (s) => s.type },
          { title: "Status", value: (s) => s.status, className: status },
          { title: "Duration", value: (s) => duration(s.durationMs), numeric: true },
          { title: "Retries", value: (s) => s.retries, numeric: true },
          { title: "Error", value: (s) => (s.error ? `${s.error}: ${s.cause ?? ""}`.slice(0, 300) : "") },
        ],
        data.states,
        { testId: (s) => `state-row-${testIdPart(s.name)}` },
      );
    }

    return {
      async refresh() {
        const [list, stageData] = await Promise.all([api<{ runs: Run[] }>("runs"), api<Stages>("stages")]);
        if (!selected || !list.runs.some((r) => r.id === selected)) selected = list.runs[0]?.id;
        renderTable(
          runsTable,
          [
            { title: "Status", value: (r) => r.status, className: status },
            { title: "Started", value: (r) => r.startDate.replace("T", " ").slice(0, 19) },
            { title: "Duration", value: (r) => duration(r.durationMs), numeric: true },
            { title: "Run", value: (r) => r.id },
          ],
          list.runs,
          {
            testId: (r) => `run-row-${testIdPart(r.id)}`,
            selected: (r) => r.id === selected,
            onClick: (r) => {
              selected = r.id;
              void showRun();
            },
          },
        );
        await showRun();
        if (!stageData.available) {
          stagesNote.textContent = `Not available here: ${stageData.reason ?? ""}.`;
          stagesTable.replaceChildren();
          quarantineTable.replaceChildren();
          return;
        }
        stagesNote.textContent = stagesStatus(stageData, Date.now());
        renderTable(
          stagesTable,
          [
            { title: "Topic", value: (t) => t.topic },
            { title: "In Kafka", value: (t) => t.inKafka, numeric: true },
            { title: "Landed (raw/)", value: (t) => t.landed, numeric: true },
            { title: "Quarantined", value: (t) => t.quarantined, numeric: true },
            {
              title: "Raw table",
              value: (t) => t.rawRows,
              numeric: true,
              testId: (t) => `stage-raw-${testIdPart(t.topic)}`,
            },
            { title: "Staging", value: (t) => t.staging, numeric: true },
            { title: "Lost", value: (t) => t.lost, numeric: true },
            { title: "Duplicated keys", value: (t) => t.duplicated, numeric: true },
          ],
          stageData.topics,
          { testId: (t) => `stage-row-${testIdPart(t.topic)}` },
        );
        const reasons = Object.entries(stageData.quarantineByReason).sort((a, b) => b[1] - a[1]);
        renderTable(
          quarantineTable,
          [
            { title: "Reason", value: ([reason]) => reason },
            {
              title: "Records",
              value: ([, n]) => n,
              numeric: true,
              testId: ([reason]) => `quarantine-${testIdPart(reason)}`,
            },
          ],
          reasons,
        );
        if (reasons.length === 0) quarantineTable.append(el("p", { class: "note" }, "Nothing quarantined."));
      },
    };
  },
};
