/**
 * A throw-away PostgreSQL cluster from the installed server binaries, on 127.0.0.1 and a Unix
 * socket in its state dir. The superuser is `pipeline` (password `pipeline`), the database
 * `warehouse`. PostgreSQL refuses to run as root, so when we are root it runs as the
 * `postgres` system user, which then owns the cluster's directory.
 */
import { execFile, execFileSync } from "node:child_process";
import { chownSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { MissingPrerequisiteError, StartError } from "../errors.ts";
import { POSTGRES, requirePrerequisite } from "../prerequisites.ts";
import type { ServiceContext, ServiceDefinition } from "../service.ts";
import type { ServicesSettings } from "../settings.ts";

const run = promisify(execFile);
export const POSTGRES_USER = "pipeline";
export const POSTGRES_PASSWORD = "pipeline";
export const POSTGRES_DATABASE = "warehouse";

export const postgresService: ServiceDefinition = {
  name: "postgres",
  prerequisites: [POSTGRES],
  port: (s) => s.ports.postgres,
  endpoint: (s) => postgresUrl(s, POSTGRES_DATABASE),
  install: async () => {},
  prepare: async (ctx) => {
    const bin = requirePrerequisite(POSTGRES);
    const user = serverUser();
    const dataDir = join(ctx.dir, "data");
    // The cluster directory belongs to the server's user; its log file stays ours (we append to it).
    if (user) {
      assertReachable(ctx.dir, user);
      chownSync(ctx.dir, user.uid, user.gid);
    }
    await initCluster(bin, dataDir, ctx, user);
    const settings = {
      listen_addresses: "127.0.0.1",
      port: String(ctx.settings.ports.postgres),
      unix_socket_directories: ctx.dir,
      max_connections: "200",
      // A throw-away cluster: a crash may lose the last commits, never corrupt them (fsync stays on).
      synchronous_commit: "off",
      logging_collector: "off",
    };
    return {
      command: join(bin, "postgres"),
      args: ["-D", dataDir, ...Object.entries(settings).flatMap(([k, v]) => ["-c", `${k}=${v}`])],
      cwd: ctx.dir,
      user,
    };
  },
  markers: (ctx) => ["-D", join(ctx.dir, "data")],
  healthy: async (ctx) => {
    try {
      await query(ctx.settings, "postgres", "select 1");
      return true;
    } catch {
      return false;
    }
  },
  afterStart: async (ctx) => {
    const { rowCount } = await query(
      ctx.settings,
      "postgres",
      "select 1 from pg_database where datname = $1",
      [POSTGRES_DATABASE],
    );
    if (rowCount === 0) await query(ctx.settings, "postgres", `create database ${POSTGRES_DATABASE}`);
  },
  // SIGINT is PostgreSQL's "fast" shutdown: it does not wait for clients to disconnect.
  stopSignal: "SIGINT",
  startTimeoutMs: 60_000,
};

export function postgresUrl(settings: ServicesSettings, database: string): string {
  return `postgres://${POSTGRES_USER}:${POSTGRES_PASSWORD}@127.0.0.1:${settings.ports.postgres}/${database}`;
}

/** Runs `initdb` once per state dir (again when the installed major version changed). */
async function initCluster(bin: string, dataDir: string, ctx: ServiceContext, user: ServerUser | undefined) {
  const major = basename(dirname(bin));
  const versionFile = join(dataDir, "PG_VERSION");
  if (existsSync(versionFile)) {
    const clusterMajor = readFileSync(versionFile, "utf8").trim();
    if (clusterMajor === major || !/^\d+$/.test(major)) return;
    // Throw-away data: a cluster of another major version is recreated, not upgraded.
    rmSync(dataDir, { recursive: true, force: true });
  }
  const pwfile = join(ctx.dir, ".pwfile");
  writeFileSync(pwfile, `${POSTGRES_PASSWORD}\n`, { mode: 0o600 });
  if (user) chownSync(pwfile, user.uid, user.gid);
  try {
    const { stdout, stderr } = await run(
      join(bin, "initdb"),
      [
        "-D",
        dataDir,
        "-U",
        POSTGRES_USER,
        `--pwfile=${pwfile}`,
        "--auth-local=trust",
        "--auth-host=scram-sha-256",
        "--encoding=UTF8",
        "--locale=C",
        "--no-instructions",
      ],
      { cwd: ctx.dir, uid: user?.uid, gid: user?.gid },
    );
    writeFileSync(ctx.logFile, stdout + stderr, { flag: "a" });
  } catch (error) {
    const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
    writeFileSync(ctx.logFile, stdout + stderr, { flag: "a" });
    rmSync(dataDir, { recursive: true, force: true });
    throw new StartError(`initdb failed; see ${ctx.logFile}`, { cause: error });
  } finally {
    rmSync(pwfile, { force: true });
  }
}

/** The server's user must be able to walk down to its directory (a 0700 /tmp/xyz stops it). */
function assertReachable(dir: string, user: ServerUser): void {
  for (let d = dirname(dir); ; d = dirname(d)) {
    const { mode, uid, gid } = statSync(d);
    const searchable = uid === user.uid ? mode & 0o100 : gid === user.gid ? mode & 0o010 : mode & 0o001;
    if (!searchable) {
      throw new StartError(
        `PostgreSQL runs as the postgres user, which cannot enter ${d}; make it traversable (chmod o+x ${d}) or choose another PIPELINE_SERVICES_DIR`,
      );
    }
    if (d === dirname(d)) return;
  }
}

interface ServerUser {
  readonly uid: number;
  readonly gid: number;
}

/** The `postgres` system user when we run as root; ourselves (undefined) otherwise. */
function serverUser(): ServerUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
    return { uid, gid };
  } catch (error) {
    throw new MissingPrerequisiteError(
      "PostgreSQL refuses to run as root and there is no `postgres` system user to run it as; install the server with `apt-get install postgresql-15` (it creates the user).",
      { cause: error },
    );
  }
}

async function query(settings: ServicesSettings, database: string, sql: string, params: unknown[] = []) {
  const client = new pg.Client({
    connectionString: postgresUrl(settings, database),
    connectionTimeoutMillis: 2_000,
  });
  try {
    await client.connect();
    return await client.query(sql, params);
  } finally {
    await client.end().catch(() => {});
  }
}
