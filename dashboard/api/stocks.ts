/**
 * GET /api/stocks: each symbol's series (real, or generated ticks — never mixed) with its date
 * range and cadence; GET /api/stocks/prices?symbol=X[&series=real|generated]: one series'
 * closes with the short and long moving averages.
 */
import { BadRequestError, NotFoundError } from "./errors.ts";
import { day, num, queryGold } from "./warehouse.ts";

/** Ticker symbols as the datasets carry them: upper case letters, digits, '.', '-'. */
const SYMBOL = /^[A-Z][A-Z0-9.-]{0,11}$/;

export async function getStocks() {
  const rows = await queryGold(
    (t) =>
      `select symbol, series, count(*) as days, min(trading_date) as first_day, max(trading_date) as last_day
       from ${t("stock_moving_averages")} group by symbol, series order by symbol, series desc`,
  );
  return {
    built: rows !== undefined,
    symbols: (rows ?? []).map((r) => {
      const days = num(r.days) ?? 0;
      const firstDay = day(r.first_day);
      const lastDay = day(r.last_day);
      return {
        symbol: String(r.symbol),
        series: String(r.series),
        days,
        firstDay,
        lastDay,
        cadence: cadenceOf(days, firstDay, lastDay),
      };
    }),
  };
}

/**
 * How often a series has a close, from its own spacing: the shipped file has one a month,
 * so calling its points "daily" would misstate it.
 */
export function cadenceOf(
  days: number,
  firstDay: string | null,
  lastDay: string | null,
): "daily" | "monthly" {
  if (days < 2 || !firstDay || !lastDay) return "daily";
  const meanGapDays = (Date.parse(lastDay) - Date.parse(firstDay)) / 86_400_000 / (days - 1);
  return meanGapDays >= 25 ? "monthly" : "daily";
}

export async function getStockPrices(symbolParameter: string | undefined, seriesParameter?: string) {
  const symbol = parseSymbol(symbolParameter);
  const series = parseSeries(seriesParameter);
  const rows = await queryGold(
    (t) =>
      `select trading_date, close_price, moving_average_short, moving_average_long
       from ${t("stock_moving_averages")} where symbol = $1 and series = $2 order by trading_date`,
    [symbol, series],
  );
  if (!rows || rows.length === 0) throw new NotFoundError(`no ${series} prices for symbol ${symbol}`);
  return {
    symbol,
    series,
    prices: rows.map((r) => ({
      date: day(r.trading_date),
      close: num(r.close_price),
      movingAverageShort: num(r.moving_average_short),
      movingAverageLong: num(r.moving_average_long),
    })),
  };
}

export function parseSeries(value: string | undefined): "real" | "generated" {
  if (value === undefined || value === "" || value === "real") return "real";
  if (value === "generated") return "generated";
  throw new BadRequestError(`series must be real or generated, got "${value.slice(0, 20)}"`);
}

export function parseSymbol(value: string | undefined): string {
  if (!value) throw new BadRequestError("the query parameter symbol is required, e.g. ?symbol=AAPL");
  if (!SYMBOL.test(value)) throw new BadRequestError(`"${value.slice(0, 20)}" is not a ticker symbol`);
  return value;
}
