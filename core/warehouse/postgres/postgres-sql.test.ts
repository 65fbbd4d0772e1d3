import { describe, expect, it } from "vitest";
import { InvalidIdentifierError } from "../identifiers.ts";
import { rawTableForKey, rawTables } from "../raw-tables.ts";
import { escapeCopyText } from "./copy-text.ts";
import { postgresRawDdl } from "./ddl.ts";

describe("PostgreSQL raw DDL", () => {
  it("creates the schema, one table per declared topic and the manifest, idempotently", () => {
    // Act
    const ddl = postgresRawDdl("raw_test");
    // Assess
    expect(ddl[0]).toBe('create schema if not exists "raw_test"');
    expect(ddl).toHaveLength(1 + 2 * rawTables().length + 2);
    for (const t of rawTables()) {
      expect(ddl.some((s) => s.startsWith(`create table if not exists "raw_test"."${t.table}" (`))).toBe(
        true,
      );
      // The incremental models' watermark reads the new rows through an index.
      expect(ddl).toContain(
        `create index if not exists "${t.table}_ingested_at" on "raw_test"."${t.table}" (ingested_at)`,
      );
    }
    expect(
      ddl.every(
        (s) =>
          s.startsWith("create schema if not exists") ||
          s.startsWith("create table if not exists") ||
          s.startsWith("create index if not exists") ||
          /^alter table .* add column if not exists /.test(s),
      ),
    ).toBe(true);
    expect(ddl.at(-2)).toContain('"raw_test"."_load_manifest"');
    expect(ddl.at(-1)).toBe(
      'alter table "raw_test"."_load_manifest" add column if not exists load_path text',
    );
    expect(ddl[1]).toContain('primary key (topic, partition, "offset")');
  });

  it("refuses identifiers that aren't plain lowercase names", () => {
    expect(() => postgresRawDdl('raw"; drop table x; --')).toThrow(InvalidIdentifierError);
    expect(() => postgresRawDdl("Raw")).toThrow(InvalidIdentifierError);
  });

  it("maps a landed key to its raw table", () => {
    const key =
      "raw/sales/orders/dt=2016-11-08/hr=00/p=0/00000000000000000000-00000000000000000009.ndjson.gz";
    expect(rawTableForKey(key).table).toBe("sales_orders");
    expect(() => rawTableForKey(key.replace("orders", "returns"))).toThrow(/no dataset declares/);
    expect(() => rawTableForKey(key.replace("raw/", "quarantine/"))).toThrow(/not a landed raw/);
  });
});

describe("COPY text escaping", () => {
  it("escapes backslash, tab and CR and keeps every other byte", () => {
    // Prepare
    const line = Buffer.from('{"s":"a\\"b\\\\c\\n","raw":"\t\r","é":"🗳️"}\n', "utf8");
    // Act
    const escaped = escapeCopyText(line).toString("utf8");
    // Assess
    expect(escaped).toBe('{"s":"a\\\\"b\\\\\\\\c\\\\n","raw":"\\t\\r","é":"🗳️"}\n');
  });
});
