/** GET /api/sales: revenue and profit by region, by category and by month (from one gold table). */
import { day, num, queryGold } from "./warehouse.ts";

export async function getSales() {
  const [byRegion, byCategory, byMonth] = await Promise.all(
    (["region", "category", "order_month"] as const).map((column) =>
      queryGold(
        (t) =>
          `select ${column} as grouping, sum(revenue) as revenue, sum(profit) as profit
           from ${t("sales_by_region_category_month")} group by ${column} order by ${column}`,
      ),
    ),
  );
  const figures = (rows: typeof byRegion, date = false) =>
    (rows ?? []).map((r) => ({
      [date ? "month" : "name"]: date ? day(r.grouping)?.slice(0, 7) : r.grouping,
      revenue: num(r.revenue),
      profit: num(r.profit),
    }));
  return {
    built: Boolean(byRegion && byCategory && byMonth),
    byRegion: figures(byRegion),
    byCategory: figures(byCategory),
    byMonth: figures(byMonth, true),
  };
}
