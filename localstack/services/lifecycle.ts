/**
 * `up`, `down` and `status` over the registry. `up` is idempotent (a service whose pid file
 * points at our live, healthy process is left alone), installs what is missing, and starts
 * services concurrently; `down` stops each process tree and checks nothing is left.
 */
import { appendFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { isRunning } from "../../core/process/is-running.ts";
import { ServicesError, StartError } from "./errors.ts";
import { tcpOpen } from "./health.ts";
import { withLock } from "./lock.ts";
import {
  isThisProcess,
  type Owner,
  ownerAlive,
  ownerFile,
  ownsServicesStarted,
  readOwner,
  removeOwner,
  thisProcess,
  writeOwner,
} from "./ownership.ts";
import { portOwner } from "./port-owner.ts";
import { assertPrerequisites } from "./prerequisites.ts";
import {
  isOurs,
  launchDetached,
  processTree,
  readPid,
  removePid,
  stopTree,
  waitUntil,
  writePid,
} from "./processes.ts";
import { type ProgressSink, reportProgress, withProgress } from "./progress.ts";
import { NAMES, SERVICES, TOOLS } from "./registry.ts";
import {
  type ServiceContext,
  type ServiceDefinition,
  serviceContext,
  type ToolDefinition,
} from "./service.ts";
import type { ServicesSettings } from "./settings.ts";

const STOP_GRACE_MS = 30_000;

export interface UpResult {
  readonly name: string;
  readonly action: "started" | "already running" | "installed" | "already installed";
  readonly pid?: number;
  readonly seconds: number;
}

export interface DownResult {
  readonly name: string;
  readonly action: "stopped" | "not running";
  /** Every pid of the service (its process and their children) that was stopped. */
  readonly pids: number[];
}

export interface ServiceStatus {
  readonly name: string;
  readonly kind: "service" | "tool";
  readonly state: "running" | "unhealthy" | "stopped" | "installed" | "not installed";
  readonly pid?: number;
  /** Where clients reach it (for a tool: its executable). */
  readonly endpoint: string;
  readonly healthy: boolean;
  readonly logFile?: string;
}

/**
 * Installs what is missing and starts the selected services (all by default); `progress` gets a
 * line for each step that takes long (venv builds, Maven, a service start) and its end.
 */
export async function up(
  settings: ServicesSettings,
  names: readonly string[] = [],
  progress?: ProgressSink,
): Promise<UpResult[]> {
  const { services, tools } = select(names);
  assertPrerequisites([...services, ...tools].flatMap((s) => s.prerequisites));
  mkdirSync(settings.stateDir, { recursive: true });
  return withProgress(progress, () =>
    withLock(join(settings.stateDir, ".lock"), "another `services up/down`", () =>
      allOrFirstError([
        ...services.map((service) => startService(service, settings)),
        ...tools.map((tool) => installTool(tool, settings)),
      ]),
    ),
  );
}

/** Stops the selected services (all by default); resolves once none of their processes is left. */
export async function down(settings: ServicesSettings, names: readonly string[] = []): Promise<DownResult[]> {
  const { services } = select(names);
  return stopUnderLock(settings, () => services);
}

/**
 * Stops the services of this state dir this process owns (started, or adopted from a dead
 * owner); leaves every other one running. Read under the lock: an `up` still starting
 * services finishes first, and what it started is stopped too.
 */
export async function downOwned(settings: ServicesSettings): Promise<DownResult[]> {
  return stopUnderLock(settings, () => SERVICES.filter((service) => ownedByThisProcess(settings, service)));
}

function stopUnderLock(settings: ServicesSettings, services: () => readonly ServiceDefinition[]) {
  mkdirSync(settings.stateDir, { recursive: true });
  return withLock(join(settings.stateDir, ".lock"), "another `services up/down`", () =>
    allOrFirstError(services().map((service) => stopService(service, settings))),
  );
}

export async function status(settings: ServicesSettings): Promise<ServiceStatus[]> {
  const services = SERVICES.map(async (service): Promise<ServiceStatus> => {
    const ctx = serviceContext(settings, service.name);
    const pid = ourPid(service, ctx);
    const healthy = pid !== undefined && (await service.healthy(ctx));
    return {
      name: service.name,
      kind: "service",
      state: pid === undefined ? "stopped" : healthy ? "running" : "unhealthy",
      pid,
      endpoint: service.endpoint(settings),
      healthy,
      logFile: ctx.logFile,
    };
  });
  const tools = TOOLS.map(async (tool): Promise<ServiceStatus> => {
    const { location, installed } = await tool.describe(settings);
    return {
      name: tool.name,
      kind: "tool",
      state: installed ? "installed" : "not installed",
      endpoint: location,
      healthy: installed,
    };
  });
  return Promise.all([...services, ...tools]);
}

async function startService(service: ServiceDefinition, settings: ServicesSettings): Promise<UpResult> {
  const started = Date.now();
  const ctx = serviceContext(settings, service.name);
  mkdirSync(ctx.dir, { recursive: true });
  const seconds = () => secondsSince(started);

  const running = ourPid(service, ctx);
  if (running !== undefined) {
    if (!(await waitUntil(() => service.healthy(ctx), service.startTimeoutMs, 500))) {
      throw new StartError(
        `${service.name} runs (pid ${running}) but is not healthy; see ${ctx.logFile}, or run \`pipeline services down\` and up again`,
      );
    }
    adoptIfStale(service, ctx);
    return { name: service.name, action: "already running", pid: running, seconds: seconds() };
  }
  removePid(ctx.pidFile);
  removeOwner(ownerFile(ctx.dir));
  const port = service.port(settings);
  if (await tcpOpen(port)) {
    const owner = portOwner(port);
    const holder = owner
      ? `pid ${owner.pid} (${abbreviate(owner.commandLine)})`
      : "a process these services did not start";
    throw new StartError(
      `port ${port} for ${service.name} is already in use by ${holder}; stop it (if it is this project's, from another checkout or state dir: \`pipeline services down\` there) or choose another port with ${service.portVariable}`,
    );
  }

  await installOnce(service, settings);
  const spec = await service.prepare(ctx);
  appendFileSync(
    ctx.logFile,
    `\n--- ${new Date().toISOString()} pipeline services up: starting ${service.name} ---\n`,
  );
  const pid = launchDetached(spec, ctx.logFile);
  writePid(ctx.pidFile, pid);
  if (ownsServicesStarted()) writeOwner(ownerFile(ctx.dir), thisProcess());
  reportProgress(`${service.name}: starting (log: ${ctx.logFile})…`);

  let exited = false;
  const healthy = await waitUntil(
    async () => {
      exited = !isRunning(pid);
      return exited || (await service.healthy(ctx));
    },
    service.startTimeoutMs,
    500,
  );
  if (exited || !healthy) {
    if (!exited) await stopTree(pid, "SIGKILL", 0);
    removePid(ctx.pidFile);
    removeOwner(ownerFile(ctx.dir));
    const why = exited ? "exited while starting" : `was not healthy after ${service.startTimeoutMs / 1000} s`;
    throw new StartError(`${service.name} ${why}; see ${ctx.logFile}`);
  }
  await service.afterStart?.(ctx);
  reportProgress(`${service.name}: up in ${seconds()} s`);
  return { name: service.name, action: "started", pid, seconds: seconds() };
}

async function stopService(service: ServiceDefinition, settings: ServicesSettings): Promise<DownResult> {
  const ctx = serviceContext(settings, service.name);
  const pid = ourPid(service, ctx);
  if (pid === undefined) {
    removePid(ctx.pidFile);
    removeOwner(ownerFile(ctx.dir));
    return { name: service.name, action: "not running", pids: [] };
  }
  const pids = processTree(pid);
  await stopTree(pid, service.stopSignal, STOP_GRACE_MS);
  removePid(ctx.pidFile);
  removeOwner(ownerFile(ctx.dir));
  appendFileSync(ctx.logFile, `--- ${new Date().toISOString()} pipeline services down: stopped ---\n`);
  return { name: service.name, action: "stopped", pids };
}

/**
 * A running service whose owner is gone (killed with SIGKILL, say) is stale: an owning command
 * adopts it (its interrupt now stops it), any other `up` hands it to the developer (no owner).
 */
function adoptIfStale(service: ServiceDefinition, ctx: ServiceContext): void {
  const file = ownerFile(ctx.dir);
  const owner = readOwner(file);
  if (!owner || ownerAlive(owner)) return;
  if (ownsServicesStarted()) writeOwner(file, thisProcess());
  else removeOwner(file);
  reportProgress(
    `${service.name}: running since \`${owner.command}\` (pid ${owner.pid}, gone) started it; ${ownsServicesStarted() ? "adopted" : "kept running"}`,
  );
}

function ownedByThisProcess(settings: ServicesSettings, service: ServiceDefinition): boolean {
  const owner = readOwner(ownerFile(serviceContext(settings, service.name).dir));
  return owner !== undefined && isThisProcess(owner);
}

/** Hands the services this process owns to the developer: they run on, as after `services up`. */
export function disown(settings: ServicesSettings): void {
  for (const service of SERVICES.filter((s) => ownedByThisProcess(settings, s)))
    removeOwner(ownerFile(serviceContext(settings, service.name).dir));
}

/**
 * The live owners of this state dir's services other than this process (a running benchmark,
 * demo or `local up`); empty when every owner is gone or there is none.
 */
export function liveOwners(settings: ServicesSettings): Owner[] {
  return SERVICES.flatMap((service) => {
    const owner = readOwner(ownerFile(serviceContext(settings, service.name).dir));
    return owner && ownerAlive(owner) && !isThisProcess(owner) ? [owner] : [];
  });
}

async function installTool(tool: ToolDefinition, settings: ServicesSettings): Promise<UpResult> {
  const started = Date.now();
  const installed = await installOnce(tool, settings);
  return {
    name: tool.name,
    action: installed ? "installed" : "already installed",
    seconds: secondsSince(started),
  };
}

/** Installs under a lock shared by every state dir: two `up`s never build the same venv at once. */
function installOnce<T>(
  item: { name: string; install: (s: ServicesSettings) => Promise<T> },
  settings: ServicesSettings,
) {
  mkdirSync(settings.cacheDir, { recursive: true });
  return withLock(join(settings.cacheDir, `.install-${item.name}.lock`), `the install of ${item.name}`, () =>
    item.install(settings),
  );
}

function abbreviate(commandLine: string, max = 120): string {
  return commandLine.length <= max ? commandLine : `${commandLine.slice(0, max - 1)}…`;
}

function secondsSince(start: number): number {
  return Math.round((Date.now() - start) / 100) / 10;
}

/** The pid in the service's pid file, if that process is still ours. */
function ourPid(service: ServiceDefinition, ctx: ServiceContext): number | undefined {
  const pid = readPid(ctx.pidFile);
  return pid !== undefined && isOurs(pid, service.markers(ctx)) ? pid : undefined;
}

function select(names: readonly string[]) {
  const unknown = names.filter((n) => !NAMES.includes(n));
  if (unknown.length > 0) {
    throw new ServicesError(`unknown service ${unknown.join(", ")}; the services are ${NAMES.join(", ")}`);
  }
  const wanted = (name: string) => names.length === 0 || names.includes(name);
  return { services: SERVICES.filter((s) => wanted(s.name)), tools: TOOLS.filter((t) => wanted(t.name)) };
}

/**
 * Like Promise.all, but waits for every task before throwing the first error: the lock must
 * not be released while a service is still starting (a `down` could then miss it).
 */
async function allOrFirstError<T>(tasks: Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(tasks);
  const failed = settled.find((r) => r.status === "rejected");
  if (failed) throw failed.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<T>).value);
}
