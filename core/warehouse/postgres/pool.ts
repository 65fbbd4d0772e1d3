/** One pg Pool per process and URL, reused across Lambda invocations. */
import { GetSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import pg from "pg";
import { secretsManager } from "../../aws/clients.ts";
import { WarehouseError } from "../errors.ts";

const pools = new Map<string, pg.Pool>();

/**
 * @param secretArn in AWS, `DATABASE_SECRET_ARN`: pg reads the connection (RDS shape: `host`,
 *   `port`, `username`, `dbname`, `password`; the URL's parts where a field is missing) from the
 *   secret before each new connection. Nothing of it is in the function's configuration, and a
 *   secret filled or rotated after the deploy is picked up (CloudFormation's dynamic
 *   references resolve once, at deploy time).
 */
export function postgresPool(url: string, secretArn = process.env.DATABASE_SECRET_ARN): pg.Pool {
  const key = `${url} ${secretArn ?? ""}`;
  let pool = pools.get(key);
  if (!pool) {
    // Few connections: a Lambda handles one event at a time; tests load a few objects at once.
    const where = secretArn
      ? { ...urlParts(url), Client: clientReadingSecret(secretArn) }
      : { connectionString: url };
    pool = new pg.Pool({ ...where, max: 4, idleTimeoutMillis: 30_000 });
    // An idle client losing its connection must not crash the process; the next query reconnects.
    pool.on("error", () => {});
    pools.set(key, pool);
  }
  return pool;
}

/** A URL's parts as pg's options. */
function urlParts(url: string): pg.PoolConfig {
  const parsed = new URL(url);
  return {
    host: decodeURIComponent(parsed.hostname),
    port: Number(parsed.port || 5432),
    user: decodeURIComponent(parsed.username),
    database: decodeURIComponent(parsed.pathname.slice(1)),
  };
}

interface Connection {
  host?: string;
  port?: number;
  user?: string;
  database?: string;
  password: string;
}

/** A pg Client that takes where and as whom it connects from the secret, read as it connects. */
function clientReadingSecret(secretArn: string): typeof pg.Client {
  return class SecretClient extends pg.Client {
    override connect(): Promise<pg.Client>;
    override connect(callback: (error: Error) => void): void;
    override connect(callback?: (error: Error) => void): Promise<pg.Client> | undefined {
      const ready = secretConnection(secretArn).then((connection) => this.use(connection));
      if (!callback) return ready.then(() => super.connect());
      ready.then(() => super.connect(callback), callback);
      return undefined;
    }

    private use(connection: Connection): void {
      const self = this as unknown as Record<string, unknown> & {
        connectionParameters: Record<string, unknown>;
      };
      for (const [field, value] of Object.entries(connection)) {
        if (value === undefined) continue;
        self[field] = value;
        self.connectionParameters[field] = value;
      }
    }
  };
}

async function secretConnection(secretArn: string): Promise<Connection> {
  const secret = await secretsManager().send(new GetSecretValueCommand({ SecretId: secretArn }));
  let fields: Record<string, unknown>;
  try {
    fields = JSON.parse(secret.SecretString ?? "") as Record<string, unknown>;
  } catch (cause) {
    throw new WarehouseError(`secret ${secretArn} is not JSON`, { cause });
  }
  const { password, host, port, username, dbname } = fields;
  if (typeof password !== "string" || password === "") {
    throw new WarehouseError(`secret ${secretArn} has no "password" field`);
  }
  const text = (value: unknown) => (typeof value === "string" && value !== "" ? value : undefined);
  const portNumber = port === undefined || port === "" ? undefined : Number(port);
  if (portNumber !== undefined && !Number.isInteger(portNumber)) {
    throw new WarehouseError(`secret ${secretArn}: "port" is not a number (${JSON.stringify(port)})`);
  }
  return { host: text(host), port: portNumber, user: text(username), database: text(dbname), password };
}

export async function closePostgresPools(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.all(all.map((p) => p.end()));
}
