import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { SnowflakeConfigError } from "../errors.ts";
import { InvalidIdentifierError } from "../identifiers.ts";
import { normalizePem, snowflakeConnectionOptions } from "./connection.ts";
import { loadObjectsSnowflake } from "./load.ts";
import { copyIntoSql, manifestLookupSql, manifestMergeSql, snowflakeRawDdl } from "./sql.ts";

// These pin the SQL and the connection options we send; test/integration/snowflake-end-to-end.test.ts
// runs them on the offline Snowflake (fakesnow).

const votesKey =
  "raw/elections/votes/dt=2026-11-03/hr=14/p=1/00000000000000000000-00000000000000000099.ndjson.gz";
const ordersKey =
  "raw/sales/orders/dt=2016-11-08/hr=00/p=0/00000000000000000000-00000000000000000009.ndjson.gz";

describe("Snowflake SQL", () => {
  it("builds COPY INTO over named files of the external stage", () => {
    // Act
    const { sql, binds } = copyIntoSql({
      schema: "raw",
      table: "elections_votes",
      stage: "RAW.LAKE_STAGE",
      keys: [votesKey],
    });
    // Assess
    expect(
      sql,
    ).toBe(`copy into RAW.ELECTIONS_VOTES ("TOPIC", "PARTITION", "OFFSET", "RECORD_KEY", "PAYLOAD", "KAFKA_TS", "SOURCE_OBJECT")
from (
  select $1:topic::string, $1:partition::integer, $1:offset::integer, $1:key::string, $1:value,
         to_timestamp_tz($1:timestamp::number, 3), metadata$filename
  from @RAW.LAKE_STAGE
)
files = ('${votesKey}')
file_format = (type = json compression = gzip)
on_error = abort_statement`);
    expect(binds).toEqual([]);
  });

  it("quotes file names and bounds a COPY to 1..1000 files", () => {
    const { sql } = copyIntoSql({ schema: "raw", table: "t", stage: "S", keys: ["raw/it's\\x"] });
    expect(sql).toContain("files = ('raw/it\\'s\\\\x')");
    expect(() => copyIntoSql({ schema: "raw", table: "t", stage: "S", keys: [] })).toThrow(RangeError);
    expect(() => copyIntoSql({ schema: "raw", table: "t", stage: "S", keys: Array(1001).fill("k") })).toThrow(
      RangeError,
    );
    expect(() => copyIntoSql({ schema: "raw", table: "t", stage: "S; drop", keys: ["k"] })).toThrow(
      RangeError,
    );
    expect(() => copyIntoSql({ schema: "raw", table: "T-1", stage: "S", keys: ["k"] })).toThrow(
      InvalidIdentifierError,
    );
  });

  it("MERGEs manifest rows with binds, inserting only unknown keys", () => {
    // Act
    const { sql, binds } = manifestMergeSql("raw", [
      { key: "a", etag: "e1", table: "sales_orders", rowsInObject: 3, rowsInserted: 3 },
      { key: "b", etag: "e2", table: "sales_orders", rowsInObject: 2, rowsInserted: 0 },
    ]);
    // Assess
    expect(sql).toContain("merge into RAW._LOAD_MANIFEST m");
    expect(sql).toContain("from values (?, ?, ?, ?, ?), (?, ?, ?, ?, ?)) s");
    expect(sql).toContain('on m."OBJECT_KEY" = s.object_key\nwhen not matched then insert');
    expect(sql).not.toContain("when matched");
    expect(binds).toEqual(["a", "e1", "sales_orders", 3, 3, "b", "e2", "sales_orders", 2, 0]);
  });

  it("looks keys up in the manifest with binds", () => {
    expect(manifestLookupSql("raw", ["a", "b"])).toEqual({
      sql: 'select "OBJECT_KEY" from RAW._LOAD_MANIFEST where "OBJECT_KEY" in (?, ?)',
      binds: ["a", "b"],
    });
  });

  it("declares the same raw tables as PostgreSQL, with VARIANT payloads", () => {
    const ddl = snowflakeRawDdl("raw");
    expect(ddl[0]).toBe("create schema if not exists RAW");
    expect(ddl.find((s) => s.includes("RAW.SALES_ORDERS"))).toContain('"PAYLOAD" variant not null');
    expect(ddl.at(-1)).toContain("RAW._LOAD_MANIFEST");
  });
});

describe("loadObjectsSnowflake", () => {
  it("skips manifest keys, COPYs per table, then MERGEs the counts COPY reports", async () => {
    // Prepare: a recording executor answering like Snowflake does
    const statements: string[] = [];
    const execute = async (sql: string) => {
      statements.push(sql.split("\n")[0] as string);
      if (sql.startsWith("select")) return [{ OBJECT_KEY: ordersKey }];
      if (sql.startsWith("copy"))
        return [{ file: `s3://bucket/${votesKey}`, status: "LOADED", rows_parsed: 100, rows_loaded: 100 }];
      return [];
    };
    // Act
    const result = await loadObjectsSnowflake(
      execute,
      [
        { key: votesKey, etag: "v" },
        { key: ordersKey, etag: "o" },
      ],
      "RAW.LAKE_STAGE",
    );
    // Assess
    expect(statements).toEqual([
      'select "OBJECT_KEY" from RAW._LOAD_MANIFEST where "OBJECT_KEY" in (?, ?)',
      'copy into RAW.ELECTIONS_VOTES ("TOPIC", "PARTITION", "OFFSET", "RECORD_KEY", "PAYLOAD", "KAFKA_TS", "SOURCE_OBJECT")',
      "merge into RAW._LOAD_MANIFEST m",
    ]);
    expect(result).toEqual({
      loaded: [{ key: votesKey, etag: "v", table: "elections_votes", rowsInObject: 100, rowsInserted: 100 }],
      skipped: [ordersKey],
    });
  });
});

describe("Snowflake key-pair connection options", () => {
  const { privateKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  const secret = {
    account: "xy12345.eu-west-1",
    username: "PIPELINE",
    warehouse: "LOAD_WH",
    database: "ANALYTICS",
  };

  it("uses JWT auth with the PEM from the secret", () => {
    // Act
    const options = snowflakeConnectionOptions({ ...secret, privateKey, role: "LOADER" }, "raw");
    // Assess
    expect(options).toEqual({
      ...secret,
      authenticator: "SNOWFLAKE_JWT",
      privateKey,
      schema: "RAW",
      role: "LOADER",
    });
  });

  it("repairs a PEM whose newlines were flattened to \\n by an env var or JSON", () => {
    // Prepare
    const flattened = `  ${privateKey.trim().replaceAll("\n", "\\n")}  `;
    // Act
    const options = snowflakeConnectionOptions(
      { ...secret, privateKey: flattened, privateKeyPassphrase: "pw" },
      "raw",
    );
    // Assess
    expect(options.privateKey).toBe(privateKey);
    expect(options.privateKeyPass).toBe("pw");
  });

  it("connects where the secret's host, port and protocol say (PrivateLink, the offline service)", () => {
    // Act
    const options = snowflakeConnectionOptions(
      { ...secret, privateKey, host: "127.0.0.1", port: "4567", protocol: "http" },
      "raw",
    );
    // Assess
    expect(options).toMatchObject({ host: "127.0.0.1", port: 4567, protocol: "http" });
    expect(() => snowflakeConnectionOptions({ ...secret, privateKey, protocol: "ftp" }, "raw")).toThrow(
      /protocol/,
    );
    expect(() =>
      snowflakeConnectionOptions({ ...secret, privateKey, host: "sf.example.com", protocol: "http" }, "raw"),
    ).toThrow(/use https/);
  });

  it("says which fields are missing or wrong", () => {
    expect(() => snowflakeConnectionOptions({ account: "a" }, "raw")).toThrow(
      /username, privateKey, warehouse, database/,
    );
    expect(() => normalizePem("MIIEvQIBADANBgkqhkiG9w0BAQEFAASC")).toThrow(SnowflakeConfigError);
  });
});
