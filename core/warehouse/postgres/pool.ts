/** One pg Pool per process and URL, reused across Lambda invocations. */
import { GetSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import pg from "pg";
import { secretsManager } from "../../aws/clients.ts";
import { WarehouseError } from "../errors.ts";

const pools = new Map<string, pg.Pool>();

/**
 * @param secretArn in AWS, `DATABASE_SECRET_ARN`: the URL then carries no password and pg asks
 *   the secret (RDS shape, field `password`) for it on each new connection, so the password is
 *   never in the function's configuration and a rotated one is picked up.
 */
export function postgresPool(url: string, secretArn = process.env.DATABASE_SECRET_ARN): pg.Pool {
  const key = `${url} ${secretArn ?? ""}`;
  let pool = pools.get(key);
  if (!pool) {
    // Few connections: a Lambda handles one event at a time; tests load a few objects at once.
    const where = secretArn
      ? { ...urlParts(url), password: () => secretPassword(secretArn) }
      : { connectionString: url };
    pool = new pg.Pool({ ...where, max: 4, idleTimeoutMillis: 30_000 });
    // An idle client losing its connection must not crash the process; the next query reconnects.
    pool.on("error", () => {});
    pools.set(key, pool);
  }
  return pool;
}

/** A URL's parts as pg's options (pg lets a connection string's missing password override a password function). */
function urlParts(url: string): pg.PoolConfig {
  const parsed = new URL(url);
  return {
    host: decodeURIComponent(parsed.hostname),
    port: Number(parsed.port || 5432),
    user: decodeURIComponent(parsed.username),
    database: decodeURIComponent(parsed.pathname.slice(1)),
  };
}

async function secretPassword(secretArn: string): Promise<string> {
  const secret = await secretsManager().send(new GetSecretValueCommand({ SecretId: secretArn }));
  let password: unknown;
  try {
    password = (JSON.parse(secret.SecretString ?? "") as { password?: unknown }).password;
  } catch (cause) {
    throw new WarehouseError(`secret ${secretArn} is not JSON`, { cause });
  }
  if (typeof password !== "string" || password === "") {
    throw new WarehouseError(`secret ${secretArn} has no "password" field`);
  }
  return password;
}

export async function closePostgresPools(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.all(all.map((p) => p.end()));
}
