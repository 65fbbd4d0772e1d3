/** One pg Pool per process and URL, reused across Lambda invocations. */
import pg from "pg";

const pools = new Map<string, pg.Pool>();

export function postgresPool(url: string): pg.Pool {
  let pool = pools.get(url);
  if (!pool) {
    // Few connections: a Lambda handles one event at a time; tests load a few objects at once.
    pool = new pg.Pool({ connectionString: url, max: 4, idleTimeoutMillis: 30_000 });
    // An idle client losing its connection must not crash the process; the next query reconnects.
    pool.on("error", () => {});
    pools.set(url, pool);
  }
  return pool;
}

export async function closePostgresPools(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.all(all.map((p) => p.end()));
}
