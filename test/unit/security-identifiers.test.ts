/**
 * Identifiers are validated before they reach SQL.
 *
 * - The helpers (`assertIdentifier`, `pgQualified`, `sfQualified`) refuse hostile names, and
 *   every SQL builder that takes a schema or table refuses them before any SQL exists.
 * - Every identifier the code declares (raw tables, the manifest) passes the helper.
 * - A scan of the sources (core, lambdas, dashboard, cli, localstack, bench — whatever is there
 *   today): every `${…}` inside an SQL template literal is a call of a validating helper, an
 *   UPPER_CASE constant, a list of placeholders, or an entry of the allow-list below saying why.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { readWarehouse } from "../../core/reconcile/readers.ts";
import {
  assertIdentifier,
  copyIntoSql,
  InvalidIdentifierError,
  MANIFEST_TABLE,
  manifestLookupSql,
  manifestMergeSql,
  pgQualified,
  postgresRawDdl,
  rawTables,
  sfQualified,
  snowflakeRawDdl,
  warehouseTarget,
} from "../../core/warehouse/index.ts";
import { REPO_ROOT } from "../../infra/constructs/pipeline-function.ts";

const HOSTILE = [
  'raw"; drop table x; --',
  "raw; drop table x",
  "raw.elections_votes",
  "Raw",
  "RAW",
  "",
  "a b",
  "ráw",
  "raw\u0000",
  "raw\n",
  '"',
  "`x`",
  "$1",
  "1raw",
  "a".repeat(64),
];

describe("the identifier helpers", () => {
  for (const name of HOSTILE) {
    it(`refuse ${JSON.stringify(name).slice(0, 40)}`, () => {
      expect(() => assertIdentifier(name)).toThrow(InvalidIdentifierError);
      expect(() => pgQualified(name, "t")).toThrow(InvalidIdentifierError);
      expect(() => pgQualified("raw", name)).toThrow(InvalidIdentifierError);
      expect(() => sfQualified(name, "t")).toThrow(InvalidIdentifierError);
      expect(() => sfQualified("raw", name)).toThrow(InvalidIdentifierError);
    });
  }

  it("accept what the code declares: every raw table, the manifest, 63-character names", () => {
    // Prepare
    const declared = [...rawTables().map((t) => t.table), MANIFEST_TABLE, "raw", "a".repeat(63), "_x9"];

    // Act / Assess
    for (const name of declared) expect(assertIdentifier(name)).toBe(name);
    expect(pgQualified("raw", MANIFEST_TABLE)).toBe('"raw"."_load_manifest"');
  });
});

describe("every SQL builder refuses a hostile schema or table before any SQL exists", () => {
  const bad = 'raw"; drop table x; --';
  const key =
    "raw/elections/votes/dt=2026-11-03/hr=14/p=0/00000000000000000000-00000000000000000009.ndjson.gz";

  it("the raw DDL of both warehouses", () => {
    expect(() => postgresRawDdl(bad)).toThrow(InvalidIdentifierError);
    expect(() => snowflakeRawDdl(bad)).toThrow(InvalidIdentifierError);
    const hostileTable = [{ ...(rawTables()[0] as ReturnType<typeof rawTables>[number]), table: bad }];
    expect(() => postgresRawDdl("raw", hostileTable)).toThrow(InvalidIdentifierError);
    expect(() => snowflakeRawDdl("raw", hostileTable)).toThrow(InvalidIdentifierError);
  });

  it("Snowflake's COPY and manifest statements", () => {
    expect(() => copyIntoSql({ schema: bad, table: "t", stage: "S", keys: [key] })).toThrow(
      InvalidIdentifierError,
    );
    expect(() => copyIntoSql({ schema: "raw", table: bad, stage: "S", keys: [key] })).toThrow(
      InvalidIdentifierError,
    );
    expect(() => copyIntoSql({ schema: "raw", table: "t", stage: "S; drop table x", keys: [key] })).toThrow(
      RangeError,
    );
    expect(() => manifestLookupSql(bad, [key])).toThrow(InvalidIdentifierError);
    const row = { key, etag: "e", table: "t", rowsInObject: 1, rowsInserted: 1 };
    expect(() => manifestMergeSql(bad, [row])).toThrow(InvalidIdentifierError);
  });

  it("the loaders' RAW_SCHEMA setting", () => {
    expect(() => warehouseTarget({ RAW_SCHEMA: bad, WAREHOUSE_TARGET: "postgres" })).toThrow(
      InvalidIdentifierError,
    );
  });

  it("reconcile's readers of raw tables and staging views", async () => {
    // No connection is made: postgres://nowhere would fail differently.
    const url = "postgres://pipeline:pipeline@127.0.0.1:1/none";
    const location = {
      topic: "elections.votes",
      rawSchema: "raw",
      rawTable: "elections_votes",
      stagingSchema: "analytics",
      stagingView: "stg_votes",
    };
    for (const wrong of [
      { rawSchema: bad },
      { rawTable: bad },
      { stagingSchema: bad },
      { stagingView: bad },
    ]) {
      await expect(readWarehouse(url, { ...location, ...wrong })).rejects.toThrow(InvalidIdentifierError);
    }
  });
});

// ---------------------------------------------------------------------------------------------

interface Interpolation {
  readonly file: string;
  readonly line: number;
  readonly expression: string;
}

/** Interpolations known to be safe although no pattern shows it, each with the reason. */
const ALLOWED: readonly { file: string; expression: string; reason: string }[] = [
  {
    file: "core/reconcile/readers.ts",
    expression: "table",
    reason:
      "readWarehouse: const table = reader.relation(location.rawSchema, location.rawTable) (pgQualified/sfQualified), before connecting",
  },
  {
    file: "core/reconcile/readers.ts",
    expression: "view",
    reason:
      "readWarehouse: const view = reader.relation(location.stagingSchema, location.stagingView) (pgQualified/sfQualified), before connecting",
  },
  ...["partition", "offset", "record_key", "topic"].map((column) => ({
    file: "core/reconcile/readers.ts",
    expression: `c("${column}")`,
    reason: "reader.column of a literal raw-table column name",
  })),
  {
    file: "core/reconcile/readers.ts",
    expression: 'reader.column("rows_inserted")',
    reason: "reader.column of a literal manifest column name",
  },
  {
    file: "core/reconcile/readers.ts",
    expression: 'reader.column("object_key")',
    reason: "reader.column of a literal manifest column name",
  },
  {
    file: "core/reconcile/readers.ts",
    expression: "reader.relation(rawSchema, MANIFEST_TABLE)",
    reason: "reader.relation is pgQualified/sfQualified (core/warehouse/reader.ts)",
  },
  {
    file: "core/warehouse/postgres/load.ts",
    expression: "manifest",
    reason: "const manifest = pgQualified(schema, MANIFEST_TABLE), just above",
  },
  {
    file: "core/warehouse/postgres/load.ts",
    expression: "table",
    reason:
      "const table = pgQualified(schema, raw.table) in loadInTransaction, the only caller of copyLean/copyDeduped (module-private)",
  },
  {
    file: "core/warehouse/snowflake/sql.ts",
    expression: "stage",
    reason: "checked against a Snowflake object-name pattern first (RangeError), tested above",
  },
  {
    file: "core/warehouse/snowflake/sql.ts",
    expression: "files",
    reason: "keys.map(quoteLiteral): each key a quoted, escaped string literal (snowflake.test.ts)",
  },
  {
    file: "localstack/services/snowflake/setup.ts",
    expression: "stage",
    reason: "checked against the Snowflake object-name pattern just above (RangeError)",
  },
  {
    file: "localstack/services/snowflake/setup.ts",
    expression: "bucket",
    reason: "checked against the S3 bucket-name pattern just above (RangeError)",
  },
  {
    file: "dashboard/api/sales.ts",
    expression: "column",
    reason: 'one of the literal tuple ["region", "category", "order_month"] it maps over',
  },
];

/** Helpers whose result is a validated identifier (or that validate their argument). */
const VALIDATING_CALL = /^(pgQualified|sfQualified|assertIdentifier)\(/;
/** dashboard/api's gold-table callback: `t("name")` is pgQualified(DBT_SCHEMA, name) (warehouse.ts). */
const GOLD_TABLE = /^t\("[a-z_]+"\)$/;
const CONSTANT = /^[A-Z][A-Z0-9_]*(\.join\("[^"]*"\))?$/;
const PLACEHOLDERS = /^\w+\.map\(\(\) => "[?(), ]+"\)\.join\(", "\)$/;

const SQL_START =
  /^\s*(select|insert|update|delete|create|drop|alter|copy|merge|with|truncate|grant|set|lock)\b/i;

/** The `${…}` expressions of SQL template literals in one file. */
function sqlInterpolations(file: string, source: string): Interpolation[] {
  const found: Interpolation[] = [];
  for (const literal of source.matchAll(/`((?:[^`\\]|\\.)*)`/g)) {
    const body = literal[1] ?? "";
    if (!SQL_START.test(body)) continue;
    const line = source.slice(0, literal.index).split("\n").length;
    for (const m of body.matchAll(/\$\{((?:[^{}]|\{[^{}]*\})*)\}/g))
      found.push({ file, line, expression: (m[1] ?? "").trim() });
  }
  return found;
}

function isSafe(i: Interpolation): boolean {
  const e = i.expression;
  if (VALIDATING_CALL.test(e) || CONSTANT.test(e) || PLACEHOLDERS.test(e)) return true;
  if (i.file.startsWith("dashboard/api/") && GOLD_TABLE.test(e)) return true;
  return ALLOWED.some((a) => a.file === i.file && a.expression === e);
}

function sourceFiles(): string[] {
  const out = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: REPO_ROOT,
    encoding: "utf8",
  });
  return out
    .split("\0")
    .filter((f) => /^(core|lambdas|dashboard|cli|localstack|bench)\/.*\.ts$/.test(f))
    .filter((f) => !f.endsWith(".test.ts"));
}

describe("identifiers spliced into SQL in the sources", () => {
  const files = sourceFiles();
  const all = files.flatMap((f) => {
    try {
      return sqlInterpolations(f, readFileSync(path.join(REPO_ROOT, f), "utf8"));
    } catch {
      return []; // deleted in the working tree
    }
  });

  it("are all validated (or allow-listed with a reason)", () => {
    expect(all.length).toBeGreaterThan(10);
    expect(
      all.filter((i) => !isSafe(i)),
      "identifiers spliced into SQL: pass them through pgQualified/sfQualified/assertIdentifier (values: bind parameters)",
    ).toEqual([]);
  });

  it("keeps no stale allow-list entry", () => {
    for (const a of ALLOWED) {
      expect(
        all.some((i) => i.file === a.file && i.expression === a.expression),
        `${a.file}: ${a.expression}`,
      ).toBe(true);
    }
  });

  it("finds an unvalidated identifier (the scan can fail)", () => {
    // Prepare: sources as they would read (#{ stands for the interpolation opener)
    const source = [
      "const a = `select * from #{schema}.votes where id = $1`;",
      "const b = `insert into #{pgQualified(schema, t)} values ($1)`;",
      'const c = `copy into #{sfQualified(s, t)} (#{RAW_COLUMNS.join(", ")})`;',
      "const d = `could not load #{key} into #{table}`;",
      "const e = `\n  delete from #{table}`;",
    ]
      .join("\n")
      .replaceAll("#{", "$" + "{");

    // Act
    const unsafe = sqlInterpolations("core/x.ts", source).filter((i) => !isSafe(i));

    // Assess
    expect(unsafe.map((i) => `${i.line}: ${i.expression}`)).toEqual(["1: schema", "5: table"]);
  });
});
