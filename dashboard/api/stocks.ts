/**
 * GET /api/stocks: the symbols with their date range; GET /api/stocks/prices?symbol=X: one
 * symbol's daily closes with the short and long moving averages.
 */
import { BadRequestError, NotFoundError } from "./errors.ts";
import { day, num, queryGold } from "./warehouse.ts";

/** Ticker symbols as the datasets carry them: upper case letters, digits, '.', '-'. */
const SYMBOL = /^[A-Z][A-Z0-9.-]{0,11}$/;

export async function getStocks() {
  const rows = await queryGold(
    (t) =>
      `select symbol, count(*) as days, min(trading_date) as first_day, max(trading_date) as last_day
       from ${t("stock_moving_averages")} group by symbol order by symbol`,
  );
  return {
    built: rows !== undefined,
    symbols: (rows ?? []).map((r) => ({
      symbol: String(r.symbol),
      days: num(r.days),
      firstDay: day(r.first_day),
      lastDay: day(r.last_day),
    })),
  };
}

export async function getStockPrices(symbolParameter: string | undefined) {
  const symbol = parseSymbol(symbolParameter);
  const rows = await queryGold(
    (t) =>
      `select trading_date, close_price, moving_average_short, moving_average_long
       from ${t("stock_moving_averages")} where symbol = $1 order by trading_date`,
    [symbol],
  );
  if (!rows || rows.length === 0) throw new NotFoundError(`no prices for symbol ${symbol}`);
  return {
    symbol,
    prices: rows.map((r) => ({
      date: day(r.trading_date),
      close: num(r.close_price),
      movingAverageShort: num(r.moving_average_short),
      movingAverageLong: num(r.moving_average_long),
    })),
  };
}

export function parseSymbol(value: string | undefined): string {
  if (!value) throw new BadRequestError("the query parameter symbol is required, e.g. ?symbol=AAPL");
  if (!SYMBOL.test(value)) throw new BadRequestError(`"${value.slice(0, 20)}" is not a ticker symbol`);
  return value;
}
