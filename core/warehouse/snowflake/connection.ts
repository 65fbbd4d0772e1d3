/**
 * The Snowflake connection: key-pair (JWT) auth with the PEM key from a Secrets Manager
 * secret, one connection per process reused across invocations. `snowflake-sdk` is heavy
 * and bundles badly, so it is imported lazily, only when the Snowflake target is used.
 */
import { GetSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import type { Connection, ConnectionOptions } from "snowflake-sdk";
import { z } from "zod";
import { secretsManager } from "../../aws/clients.ts";
import { SnowflakeConfigError } from "../errors.ts";

/** The secret's JSON: what a service user needs for key-pair auth. */
export const SnowflakeSecretSchema = z.object({
  account: z.string().min(1),
  username: z.string().min(1),
  privateKey: z.string().min(1),
  privateKeyPassphrase: z.string().optional(),
  warehouse: z.string().min(1),
  database: z.string().min(1),
  role: z.string().optional(),
  /**
   * Where to connect instead of `<account>.snowflakecomputing.com` over https: a PrivateLink
   * host, or a stand-in (the offline fakesnow service). As dbt's profile's host/port/protocol.
   */
  host: z.string().min(1).optional(),
  port: z.coerce.number().int().min(1).max(65535).optional(),
  protocol: z.enum(["https", "http"]).optional(),
});

/** Executes one statement with binds and returns its rows. */
export type SnowflakeExecutor = (
  sql: string,
  binds?: readonly (string | number)[],
) => Promise<Record<string, unknown>[]>;

/**
 * A PEM key as it survives env vars and JSON: literal "\n" sequences, CRLF or surrounding
 * whitespace — the usual reasons key-pair auth fails — are normalised, then the armour checked.
 */
export function normalizePem(key: string): string {
  const pem = key.replaceAll("\\n", "\n").replaceAll("\r\n", "\n").trim();
  if (
    !/^-----BEGIN (ENCRYPTED )?PRIVATE KEY-----\n[\s\S]+\n-----END (ENCRYPTED )?PRIVATE KEY-----$/.test(pem)
  ) {
    throw new SnowflakeConfigError(
      "the Snowflake private key is not a PKCS#8 PEM ('-----BEGIN PRIVATE KEY-----' …)",
    );
  }
  return `${pem}\n`;
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1"]);

/** Fields of password-style auth: refused, so a secret can't quietly fall back to them. */
const PASSWORD_FIELDS = ["password", "passcode", "authenticator", "token"];

export function snowflakeConnectionOptions(secret: unknown, schema: string): ConnectionOptions {
  const refused = PASSWORD_FIELDS.filter((f) => Object.hasOwn(Object(secret), f));
  if (refused.length > 0) {
    throw new SnowflakeConfigError(
      `the Snowflake secret holds ${refused.join(", ")}: only key-pair auth is used (privateKey), remove them`,
    );
  }
  const parsed = SnowflakeSecretSchema.safeParse(secret);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => i.path.join(".")).join(", ");
    throw new SnowflakeConfigError(`the Snowflake secret is missing or has invalid fields: ${fields}`);
  }
  const s = parsed.data;
  // The JWT would cross the network in the clear: plain http only to this machine.
  if (s.protocol === "http" && !LOOPBACK.has(s.host ?? "")) {
    throw new SnowflakeConfigError(
      "the Snowflake secret asks for http to a host other than this machine: use https",
    );
  }
  return {
    account: s.account,
    username: s.username,
    authenticator: "SNOWFLAKE_JWT",
    privateKey: normalizePem(s.privateKey),
    ...(s.privateKeyPassphrase && { privateKeyPass: s.privateKeyPassphrase }),
    warehouse: s.warehouse,
    database: s.database,
    schema: schema.toUpperCase(),
    ...(s.role && { role: s.role }),
    ...(s.host && { host: s.host }),
    ...(s.port && { port: s.port }),
    ...(s.protocol && { protocol: s.protocol }),
  };
}

let connection: Promise<Connection> | undefined;

/** The process's Snowflake executor (connects on first use; a failed connect is retried next time). */
export async function snowflakeExecutor(secretId: string, schema: string): Promise<SnowflakeExecutor> {
  connection ??= connect(secretId, schema).catch((error) => {
    connection = undefined;
    throw error;
  });
  const conn = await connection;
  return (sql, binds = []) =>
    new Promise((resolve, reject) => {
      conn.execute({
        sqlText: sql,
        binds: [...binds],
        complete: (error, _statement, rows) =>
          error ? reject(error) : resolve((rows ?? []) as Record<string, unknown>[]),
      });
    });
}

async function connect(secretId: string, schema: string): Promise<Connection> {
  const secret = await secretsManager().send(new GetSecretValueCommand({ SecretId: secretId }));
  let json: unknown;
  try {
    json = JSON.parse(secret.SecretString ?? "");
  } catch (cause) {
    throw new SnowflakeConfigError(`secret ${secretId} is not JSON`, { cause });
  }
  const options = snowflakeConnectionOptions(json, schema);
  const { default: snowflake } = await import("snowflake-sdk");
  // The SDK logs every connect at INFO to stdout (into the function's log and the demo's output).
  snowflake.configure({ logLevel: "WARN" });
  // Not connectAsync(): without a callback it resolves even when authentication or the
  // connection fails, leaving a dead connection cached for the life of the process.
  return new Promise((resolve, reject) => {
    snowflake.createConnection(options).connect((error, conn) => (error ? reject(error) : resolve(conn)));
  });
}
