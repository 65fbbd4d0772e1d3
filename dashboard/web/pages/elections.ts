/** Election results from the gold layer (dbt marts): by candidate, by state, turnout breakdowns. */
import { api } from "../api.ts";
import { chart } from "../charts.ts";
import { el, percent, renderTable, section, testIdPart } from "../dom.ts";
import { leadersByState } from "../summaries.ts";
import type { Page } from "./page.ts";

interface Turnout {
  group: string | null;
  registeredVoters: number | null;
  votersWhoVoted: number | null;
  turnout: number | null;
}

interface Elections {
  built: boolean;
  byCandidate: {
    candidateId: string;
    name: string | null;
    party: string | null;
    votes: number | null;
    voteShare: number | null;
    position: number | null;
  }[];
  byState: { state: string; name: string | null; votes: number | null; position: number | null }[];
  turnoutByState: Turnout[];
  turnoutByAgeBand: Turnout[];
  turnoutByGender: Turnout[];
  votingPeriod: { firstVote: string | null; lastVote: string | null };
}

const minute = (iso: string | null) => (iso ? `${iso.slice(0, 16).replace("T", " ")} UTC` : "—");

export const electionsPage: Page = {
  id: "elections",
  title: "Election results",
  render(root) {
    const note = el("p", { class: "note" });
    const covers = el("p", { class: "note", "data-testid": "elections-period" });
    const results = section("Results by candidate");
    const resultsTable = el("div");
    results.append(note, covers, resultsTable);
    const states = section("Leader by state (= marks a tie)");
    const statesTable = el("div", { style: "max-height: 320px; overflow: auto" });
    states.append(statesTable);
    const turnoutState = section("Turnout by state", true);
    const turnoutStateChart = chart(turnoutState);
    const age = section("Turnout by age band");
    const ageChart = chart(age);
    const gender = section("Turnout by gender");
    const genderChart = chart(gender);
    root.append(results, states, turnoutState, age, gender);

    return {
      async refresh() {
        const data = await api<Elections>("elections");
        note.textContent = data.built
          ? ""
          : "The gold layer is not built yet: run the pipeline (npx pipeline run).";
        const { firstVote, lastVote } = data.votingPeriod;
        covers.textContent = data.built
          ? `Every vote the last pipeline run loaded: cast ${minute(firstVote)} to ${minute(lastVote)}; turnout = registered voters who voted.`
          : "";
        renderTable(
          resultsTable,
          [
            { title: "#", value: (c) => c.position, numeric: true },
            { title: "Candidate", value: (c) => c.name ?? c.candidateId },
            { title: "Party", value: (c) => c.party },
            {
              title: "Votes",
              value: (c) => c.votes,
              numeric: true,
              testId: (c) => `result-votes-${testIdPart(c.candidateId)}`,
            },
            { title: "Share", value: (c) => percent(c.voteShare), numeric: true },
          ],
          data.byCandidate,
        );
        renderTable(
          statesTable,
          [
            { title: "State", value: (r) => r.state },
            {
              title: "Leader",
              value: (r) => (r.tie ? `tie: ${r.leader}` : r.leader),
              className: (r) => (r.tie ? "tie" : ""),
            },
            { title: "Votes", value: (r) => r.votes, numeric: true },
          ],
          leadersByState(data.byState),
          { testId: (r) => `leader-${testIdPart(r.state)}` },
        );
        turnoutStateChart.setOption(turnoutBars(data.turnoutByState, true));
        ageChart.setOption(turnoutBars(data.turnoutByAgeBand));
        // Slices are the voters who voted; each label carries the count and that group's turnout.
        genderChart.setOption({
          tooltip: { trigger: "item", formatter: "{b}: {c} voted ({d} % of those who voted)" },
          series: [
            {
              type: "pie",
              radius: "50%",
              // Room for two-line labels beside the slices, never cut at the panel's edge.
              label: { lineHeight: 16, overflow: "none" },
              labelLine: { length: 10, length2: 10 },
              data: data.turnoutByGender.map((t) => ({
                name: t.group ?? "unknown",
                value: t.votersWhoVoted,
                label: {
                  formatter: `{b}\n${(t.votersWhoVoted ?? 0).toLocaleString("en-US")} of ${(t.registeredVoters ?? 0).toLocaleString("en-US")} voted (${percent(t.turnout)})`,
                },
              })),
            },
          ],
        });
      },
    };
  },
};

function turnoutBars(rows: Turnout[], rotate = false) {
  return {
    tooltip: {
      trigger: "axis",
      // The figures behind each bar, not only the share.
      formatter: (items: { dataIndex: number }[]) => {
        const row = rows[items[0]?.dataIndex ?? -1];
        return row
          ? `${row.group ?? "unknown"}: ${percent(row.turnout)} (${row.votersWhoVoted ?? 0} of ${row.registeredVoters ?? 0} voted)`
          : "";
      },
    },
    grid: { left: 50, right: 20, top: 20, bottom: rotate ? 90 : 30 },
    xAxis: {
      type: "category",
      data: rows.map((r) => r.group ?? "unknown"),
      axisLabel: rotate ? { rotate: 60, interval: 0 } : {},
    },
    yAxis: { type: "value", axisLabel: { formatter: (v: number) => `${Math.round(v * 100)} %` } },
    series: [{ type: "bar", name: "turnout", data: rows.map((r) => r.turnout) }],
  };
}
