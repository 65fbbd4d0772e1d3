/** Election results from the gold layer (dbt marts): by candidate, by state, turnout breakdowns. */
import { api } from "../api.ts";
import { chart } from "../charts.ts";
import { el, percent, renderTable, section, testIdPart } from "../dom.ts";
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
}

export const electionsPage: Page = {
  id: "elections",
  title: "Election results",
  render(root) {
    const note = el("p", { class: "note" });
    const results = section("Results by candidate");
    const resultsTable = el("div");
    results.append(note, resultsTable);
    const states = section("Leader by state");
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
            { title: "Leader", value: (r) => r.name },
            { title: "Votes", value: (r) => r.votes, numeric: true },
          ],
          data.byState.filter((r) => r.position === 1),
        );
        turnoutStateChart.setOption(turnoutBars(data.turnoutByState, true));
        ageChart.setOption(turnoutBars(data.turnoutByAgeBand));
        genderChart.setOption({
          tooltip: { trigger: "item" },
          series: [
            {
              type: "pie",
              radius: "65%",
              data: data.turnoutByGender.map((t) => ({
                name: t.group ?? "unknown",
                value: t.votersWhoVoted,
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
    tooltip: { trigger: "axis" },
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
