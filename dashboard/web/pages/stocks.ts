/** Stocks: one symbol's daily close with its short and long moving averages. */
import { api } from "../api.ts";
import { chart } from "../charts.ts";
import { el, format, section } from "../dom.ts";
import type { Page } from "./page.ts";

interface Stocks {
  built: boolean;
  symbols: { symbol: string; days: number; firstDay: string; lastDay: string }[];
}

interface Prices {
  symbol: string;
  prices: {
    date: string;
    close: number | null;
    movingAverageShort: number | null;
    movingAverageLong: number | null;
  }[];
}

export const stocksPage: Page = {
  id: "stocks",
  title: "Stocks",
  render(root) {
    const panel = section("Daily close and moving averages", true);
    const picker = el("select", { "data-testid": "stock-symbol" });
    const latest = el("span", { "data-testid": "stock-latest-close" });
    const note = el("p", { class: "note" });
    panel.append(el("label", {}, "Symbol ", picker), " latest close: ", latest, note);
    const priceChart = chart(panel, "chart tall");
    root.append(panel);
    picker.addEventListener("change", () => void showPrices());

    async function showPrices(): Promise<void> {
      if (!picker.value) return;
      const data = await api<Prices>(`stocks/prices?symbol=${encodeURIComponent(picker.value)}`);
      latest.textContent = format(data.prices.at(-1)?.close, true);
      priceChart.setOption({
        tooltip: { trigger: "axis" },
        legend: { top: 0 },
        grid: { left: 60, right: 20, top: 30, bottom: 70 },
        xAxis: { type: "category", data: data.prices.map((p) => p.date) },
        yAxis: { type: "value", scale: true },
        dataZoom: [{ type: "inside" }, { type: "slider" }],
        series: [
          {
            type: "line",
            name: `${data.symbol} close`,
            showSymbol: false,
            data: data.prices.map((p) => p.close),
          },
          {
            type: "line",
            name: "short moving average",
            showSymbol: false,
            data: data.prices.map((p) => p.movingAverageShort),
          },
          {
            type: "line",
            name: "long moving average",
            showSymbol: false,
            data: data.prices.map((p) => p.movingAverageLong),
          },
        ],
      });
    }

    return {
      async refresh() {
        const stocks = await api<Stocks>("stocks");
        note.textContent = stocks.built ? "" : "The gold layer is not built yet: run the pipeline.";
        const known = [...picker.options].map((o) => o.value).join();
        if (known !== stocks.symbols.map((s) => s.symbol).join()) {
          const current = picker.value;
          picker.replaceChildren(...stocks.symbols.map((s) => el("option", { value: s.symbol }, s.symbol)));
          if (stocks.symbols.some((s) => s.symbol === current)) picker.value = current;
        }
        await showPrices();
      },
    };
  },
};
