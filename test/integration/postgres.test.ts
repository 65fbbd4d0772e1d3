import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../core/config/index.ts";

describe("native PostgreSQL", () => {
  const client = new pg.Client({ connectionString: loadConfig().postgres.url });
  beforeAll(() => client.connect());
  afterAll(() => client.end());

  it("serves the warehouse database to the pipeline role", async () => {
    // Act
    const { rows } = await client.query(
      "select current_database() as db, current_user as who, version() as v",
    );

    // Assess
    expect(rows[0]).toMatchObject({ db: "warehouse", who: "pipeline" });
    expect(rows[0].v).toMatch(/^PostgreSQL \d+/);
  });

  it("keeps what a transaction commits", async () => {
    // Prepare
    const table = `services_pg_${process.pid}_${Date.now()}`;
    await client.query(`create table ${table} (id integer primary key, payload jsonb not null)`);

    try {
      // Act
      await client.query("begin");
      await client.query(`insert into ${table} values (1, $1), (2, $2)`, [{ a: 1 }, { b: "two" }]);
      await client.query("commit");
      const { rows } = await client.query(`select id, payload from ${table} order by id`);

      // Assess
      expect(rows).toEqual([
        { id: 1, payload: { a: 1 } },
        { id: 2, payload: { b: "two" } },
      ]);
    } finally {
      await client.query(`drop table ${table}`);
    }
  });
});
