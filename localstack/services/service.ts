/**
 * What a native service is, for the lifecycle code: adding a service means writing one of
 * these (see registry.ts), not copying start/stop code.
 */
import { join } from "node:path";
import type { Prerequisite } from "./prerequisites.ts";
import type { LaunchSpec } from "./processes.ts";
import type { ServicesSettings } from "./settings.ts";

/** Where one service of one state dir keeps its files. */
export interface ServiceContext {
  readonly settings: ServicesSettings;
  /** `<stateDir>/<name>`: data, config, pid file. */
  readonly dir: string;
  readonly logFile: string;
  readonly pidFile: string;
}

export interface ServiceDefinition {
  readonly name: string;
  readonly prerequisites: readonly Prerequisite[];
  /** The port clients use (checked for strangers before starting), and the variable setting it. */
  readonly port: (settings: ServicesSettings) => number;
  readonly portVariable: string;
  readonly endpoint: (settings: ServicesSettings) => string;
  /** Installs what every state dir shares (jars, venv); cached, so cheap when done before. */
  readonly install: (settings: ServicesSettings) => Promise<void>;
  /** Prepares the state dir (config, data) and says how to launch the process. */
  readonly prepare: (ctx: ServiceContext) => Promise<LaunchSpec>;
  /** Strings the process's command line contains, telling our process from a reused pid. */
  readonly markers: (ctx: ServiceContext) => string[];
  readonly healthy: (ctx: ServiceContext) => Promise<boolean>;
  /** Runs once the service is healthy after a start (e.g. create the database). */
  readonly afterStart?: (ctx: ServiceContext) => Promise<void>;
  /** The signal for a clean, quick shutdown (SIGKILL follows after a grace period). */
  readonly stopSignal: NodeJS.Signals;
  readonly startTimeoutMs: number;
}

/** A tool installed by `up` that runs no process of its own (dbt). */
export interface ToolDefinition {
  readonly name: string;
  readonly prerequisites: readonly Prerequisite[];
  /** Resolves to whether it had to install (false: it was already there and current). */
  readonly install: (settings: ServicesSettings) => Promise<boolean>;
  /** Where it is and whether it is installed and current. */
  readonly describe: (settings: ServicesSettings) => Promise<{ location: string; installed: boolean }>;
}

export function serviceContext(settings: ServicesSettings, name: string): ServiceContext {
  const dir = join(settings.stateDir, name);
  return { settings, dir, logFile: join(dir, `${name}.log`), pidFile: join(dir, `${name}.pid`) };
}
