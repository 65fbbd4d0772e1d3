/** Sales: revenue and profit by region, category and month (Superstore, gold layer). */
import { api } from "../api.ts";
import { chart } from "../charts.ts";
import { el, renderTable, section, testIdPart } from "../dom.ts";
import type { Page } from "./page.ts";

interface Figure {
  name?: string;
  month?: string;
  revenue: number | null;
  profit: number | null;
}

interface Sales {
  built: boolean;
  byRegion: Figure[];
  byCategory: Figure[];
  byMonth: Figure[];
}

export const salesPage: Page = {
  id: "sales",
  title: "Sales",
  render(root) {
    const note = el("p", { class: "note" });
    const region = section("By region");
    const regionTable = el("div");
    region.append(note, regionTable);
    const regionChart = chart(region);
    const category = section("By category");
    const categoryChart = chart(category);
    const month = section("By month", true);
    const monthChart = chart(month);
    root.append(region, category, month);

    return {
      async refresh() {
        const data = await api<Sales>("sales");
        note.textContent = data.built ? "" : "The gold layer is not built yet: run the pipeline.";
        renderTable(
          regionTable,
          [
            { title: "Region", value: (r) => r.name },
            {
              title: "Revenue",
              value: (r) => r.revenue,
              numeric: true,
              testId: (r) => `sales-revenue-${testIdPart(r.name ?? "")}`,
            },
            { title: "Profit", value: (r) => r.profit, numeric: true },
          ],
          data.byRegion,
        );
        regionChart.setOption(
          bars(
            data.byRegion.map((r) => r.name ?? ""),
            data.byRegion,
          ),
        );
        categoryChart.setOption(
          bars(
            data.byCategory.map((r) => r.name ?? ""),
            data.byCategory,
          ),
        );
        monthChart.setOption({
          ...bars(
            data.byMonth.map((r) => r.month ?? ""),
            data.byMonth,
            "line",
          ),
          dataZoom: [{ type: "inside" }, { type: "slider" }],
        });
      },
    };
  },
};

function bars(labels: string[], rows: Figure[], type: "bar" | "line" = "bar") {
  return {
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 70, right: 20, top: 30, bottom: 60 },
    xAxis: { type: "category", data: labels },
    yAxis: { type: "value" },
    series: [
      { type, name: "revenue", data: rows.map((r) => r.revenue) },
      { type, name: "profit", data: rows.map((r) => r.profit) },
    ],
  };
}
