/**
 * Compares a raw table with the records a test expected, inside PostgreSQL: the expected
 * (key, canonical payload) pairs are COPYed into a temp table and compared with `except`
 * both ways, so payloads are checked for semantic JSON equality, record by record.
 */
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { escapeCopyText } from "../../core/warehouse/postgres/copy-text.ts";

export interface TableDiff {
  readonly rows: number;
  readonly missing: number;
  readonly unexpected: number;
}

export async function diffRawTable(
  pool: pg.Pool,
  qualifiedTable: string,
  expected: Iterable<{ key: string; value: unknown }>,
  where = "true",
): Promise<TableDiff> {
  const client = await pool.connect();
  try {
    await client.query("begin");
    await client.query("create temp table _expected (line text) on commit drop");
    const lines = Readable.from(
      (function* () {
        for (const e of expected)
          yield escapeCopyText(Buffer.from(`${JSON.stringify({ k: e.key, v: e.value })}\n`));
      })(),
    );
    await pipeline(lines, client.query(copyFrom("copy _expected (line) from stdin (format text)")));
    const { rows } = await client.query<{ rows: string; missing: string; unexpected: string }>(`
      with exp as (select line::jsonb->>'k' as k, line::jsonb->'v' as v from _expected),
           act as (select record_key as k, payload as v from ${qualifiedTable} where ${where})
      select (select count(*) from act) as rows,
             (select count(*) from (select * from exp except all select * from act) m) as missing,
             (select count(*) from (select * from act except all select * from exp) u) as unexpected`);
    await client.query("commit");
    const r = rows[0] as { rows: string; missing: string; unexpected: string };
    return { rows: Number(r.rows), missing: Number(r.missing), unexpected: Number(r.unexpected) };
  } finally {
    client.release();
  }
}
