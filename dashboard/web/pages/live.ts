/** Live election: running totals from the serving store (the aggregate function's output). */
import { api } from "../api.ts";
import { chart, registerStatesMap } from "../charts.ts";
import { el, format, renderTable, section, testIdPart } from "../dom.ts";
import { windowsCovered } from "../summaries.ts";
import type { Page } from "./page.ts";

interface Live {
  candidates: { candidateId: string; name: string | null; party: string | null; votes: number }[];
  locations: { state: string; votes: number }[];
  windows: { start: string; end: string; votes: number; byCandidate: Record<string, number> }[];
  totalVotes: number;
  lateEvents: number;
  futureEvents: number;
  duplicateVotes: number;
  rejectedVotes: number;
  unregisteredVoterVotes: number;
  unknownCandidates: { candidateId: string; votes: number }[];
  watermark: string | null;
  updatedAt: string | null;
  namesFrom: "warehouse" | "ids";
}

const label = (c: Live["candidates"][number]) => c.name ?? c.candidateId;

/** Why votes were rejected: unregistered voters, and which unregistered candidate ids (the first few). */
function rejectedNote(live: Live): string | undefined {
  const reasons: string[] = [];
  if (live.unregisteredVoterVotes > 0) {
    reasons.push(`${format(live.unregisteredVoterVotes, true)} from unregistered voters`);
  }
  if (live.unknownCandidates.length > 0) {
    const named = live.unknownCandidates
      .slice(0, 3)
      .map((c) => `${c.candidateId} (${format(c.votes, true)})`);
    const more = live.unknownCandidates.length > 3 ? ` and ${live.unknownCandidates.length - 3} more` : "";
    reasons.push(`for unregistered candidates: ${named.join(", ")}${more}`);
  }
  return reasons.length > 0 ? reasons.join("; ") : undefined;
}

export const livePage: Page = {
  id: "live",
  title: "Live election",
  render(root) {
    const figures = section("Votes counted", true);
    const totals = section("Totals by candidate");
    const totalsTable = el("div");
    totals.append(totalsTable);
    const totalsChart = chart(totals);
    const map = section("Votes by state so far (all votes counted, not windowed)");
    const mapChart = chart(map, "chart tall");
    const windows = section("Votes over time", true);
    const windowsHeading = windows.querySelector("h2") as HTMLElement;
    const windowsNote = el("p", { class: "note", "data-testid": "windows-covered" });
    windows.append(windowsNote);
    const windowsChart = chart(windows);
    root.append(figures, totals, map, windows);
    const figureHost = el("div", { class: "figures" });
    figures.append(figureHost);

    return {
      async refresh() {
        const live = await api<Live>("live");
        figureHost.replaceChildren(
          figure("Total votes", format(live.totalVotes, true), "total-votes"),
          // One vote per voter: repeats and redeliveries are counted here, never in a total.
          figure("Duplicate votes", format(live.duplicateVotes, true), "duplicate-votes"),
          figure("Rejected votes", format(live.rejectedVotes, true), "rejected-votes", rejectedNote(live)),
          figure("Late events", format(live.lateEvents, true), "late-events"),
          figure("Future-dated events", format(live.futureEvents, true), "future-events"),
          figure("Watermark", live.watermark ?? "—", "watermark"),
          figure("Updated", live.updatedAt ?? "—", "updated-at"),
        );
        renderTable(
          totalsTable,
          [
            { title: "Candidate", value: label },
            { title: "Party", value: (c) => c.party },
            {
              title: "Votes",
              value: (c) => c.votes,
              numeric: true,
              testId: (c) => `candidate-total-${testIdPart(c.candidateId)}`,
            },
          ],
          live.candidates,
          { testId: (c) => `candidate-row-${testIdPart(c.candidateId)}` },
        );
        totalsChart.setOption({
          tooltip: {},
          grid: { left: 140, right: 20, top: 10, bottom: 30 },
          xAxis: { type: "value" },
          yAxis: { type: "category", inverse: true, data: live.candidates.map(label) },
          series: [{ type: "bar", data: live.candidates.map((c) => c.votes) }],
        });
        const max = Math.max(1, ...live.locations.map((l) => l.votes));
        mapChart.setOption({
          tooltip: { trigger: "item" },
          visualMap: { min: 0, max, left: "left", bottom: 10, calculable: true },
          series: [
            {
              type: "map",
              map: registerStatesMap(),
              aspectScale: 1,
              roam: false,
              data: live.locations.map((l) => ({ name: l.state, value: l.votes })),
            },
          ],
        });
        // Say what the chart covers: the serving store keeps only the windows of the last hour
        // of event time (the retention), so it is not the whole election.
        const covered = windowsCovered(live.windows);
        windowsHeading.textContent = covered ? `Votes over time: ${covered.span}` : "Votes over time";
        windowsNote.textContent = covered
          ? `${covered.count} windows of ${covered.minutes} min by event time (UTC), the most recent the serving store keeps (the last hour before the watermark); older, late and future-dated votes count in the totals only.`
          : "No event-time windows yet.";
        windowsChart.setOption(
          {
            tooltip: { trigger: "axis" },
            legend: { top: 0 },
            grid: { left: 50, right: 20, top: 40, bottom: 30 },
            xAxis: { type: "category", data: live.windows.map((w) => w.start.slice(11, 16)) },
            yAxis: { type: "value" },
            series: live.candidates.map((c) => ({
              type: "bar",
              stack: "votes",
              name: label(c),
              data: live.windows.map((w) => w.byCandidate[c.candidateId] ?? 0),
            })),
          },
          { replaceMerge: ["series"] },
        );
      },
    };
  },
};

function figure(title: string, value: string, testId: string, note?: string): HTMLElement {
  const box = el("div", { class: "figure" }, title, el("b", { "data-testid": testId }, value));
  if (note) box.append(el("small", { "data-testid": `${testId}-note` }, note));
  return box;
}
