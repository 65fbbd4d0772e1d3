/**
 * A throw-away PostgreSQL cluster from the installed server binaries, on 127.0.0.1 and a Unix
 * socket in its state dir. The superuser is `pipeline` (password `pipeline`), the database
 * `warehouse`. PostgreSQL refuses to run as root, so when we are root it runs as the
 * `postgres` system user, which then owns the cluster's directory.
 */
import { execFile, execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
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
  portVariable: "PGPORT",
  endpoint: (s) => postgresUrl(s, POSTGRES_DATABASE),
  install: async () => {},
  prepare: async (ctx) => {
    const bin = requirePrerequisite(POSTGRES);
    const user = serverUser();
    const cluster = clusterDir(ctx);
    const dataDir = join(cluster, "data");
    mkdirSync(cluster, { recursive: true, mode: 0o700 });
    // The cluster directory belongs to the server's user; the log file stays ours (we append to it).
    if (user) chownSync(cluster, user.uid, user.gid);
    await initCluster(bin, dataDir, cluster, ctx.logFile, user);
    const settings = {
      listen_addresses: "127.0.0.1",
      port: String(ctx.settings.ports.postgres),
      unix_socket_directories: cluster,
      max_connections: "200",
      // A throw-away cluster: a crash may lose the last commits, never corrupt them (fsync stays on).
      synchronous_commit: "off",
      logging_collector: "off",
    };
    return {
      command: join(bin, "postgres"),
      args: ["-D", dataDir, ...Object.entries(settings).flatMap(([k, v]) => ["-c", `${k}=${v}`])],
      cwd: cluster,
      user,
    };
  },
  markers: (ctx) => ["-D", join(clusterDir(ctx), "data")],
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
async function initCluster(
  bin: string,
  dataDir: string,
  cluster: string,
  logFile: string,
  user: ServerUser | undefined,
) {
  const major = basename(dirname(bin));
  const versionFile = join(dataDir, "PG_VERSION");
  if (existsSync(versionFile)) {
    const clusterMajor = readFileSync(versionFile, "utf8").trim();
    if (clusterMajor === major || !/^\d+$/.test(major)) return;
    // Throw-away data: a cluster of another major version is recreated, not upgraded.
    rmSync(dataDir, { recursive: true, force: true });
  }
  const pwfile = join(cluster, ".pwfile");
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
      { cwd: cluster, uid: user?.uid, gid: user?.gid },
    );
    writeFileSync(logFile, stdout + stderr, { flag: "a" });
  } catch (error) {
    const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
    writeFileSync(logFile, stdout + stderr, { flag: "a" });
    rmSync(dataDir, { recursive: true, force: true });
    throw new StartError(`initdb failed; see ${logFile}`, { cause: error });
  } finally {
    rmSync(pwfile, { force: true });
  }
}

/**
 * Where the cluster lives: `<state dir>/postgres`, unless the server runs as the `postgres`
 * user and cannot get there (a clone under /root, a 0700 temp dir): then a directory of its
 * own under /tmp, one per state dir.
 */
export function clusterDir(ctx: ServiceContext): string {
  const user = serverUser();
  if (!user || canReach(ctx.dir, user)) return ctx.dir;
  const id = createHash("sha256").update(ctx.dir).digest("hex").slice(0, 12);
  return join(tmpdir(), `pipeline-postgres-${id}`);
}

/** Whether `user` may walk down every ancestor of `dir` (search permission). */
function canReach(dir: string, user: ServerUser): boolean {
  for (let d = dirname(dir); ; d = dirname(d)) {
    const { mode, uid, gid } = statSync(d);
    const searchable = uid === user.uid ? mode & 0o100 : gid === user.gid ? mode & 0o010 : mode & 0o001;
    if (!searchable) return false;
    if (d === dirname(d)) return true;
  }
}

interface ServerUser {
  readonly uid: number;
  readonly gid: number;
}

/** The `postgres` system user when we run as root; ourselves (undefined) otherwise. */
let cachedServerUser: ServerUser | undefined | null = null;

function serverUser(): ServerUser | undefined {
  if (cachedServerUser === null) cachedServerUser = lookUpServerUser();
  return cachedServerUser;
}

function lookUpServerUser(): ServerUser | undefined {
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
  // Failures reach us through connect() and query(); a server going away around them (a
  // restart under way) also emits "error", which unheard would crash the process.
  client.on("error", () => {});
  try {
    await client.connect();
    return await client.query(sql, params);
  } finally {
    await client.end().catch(() => {});
  }
}
