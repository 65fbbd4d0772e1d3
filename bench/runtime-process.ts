/**
 * The local runtime as the benchmark drives it: `pipeline local up` in a child process (as a
 * user runs it), so its memory and CPU are its own and can be read from /proc, and it can be
 * profiled (`--cpu-prof`) without profiling the benchmark itself.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { RUNTIME_STATE_DIR } from "../localstack/runtime/open.ts";
import { type FunctionStats, functionStatsFile } from "../localstack/runtime/runtime.ts";
import { REPO_ROOT } from "../localstack/services/settings.ts";
import { StageError } from "./errors.ts";
import { sleep } from "./measure.ts";
import { type ProcessUsage, processUsage } from "./process-usage.ts";

export interface RuntimeOptions {
  /** A cloud assembly synthesized before (skips `cdk synth`); undefined synthesizes it. */
  readonly assemblyDir?: string;
  /** Write V8 CPU profiles of the runtime (main thread and function workers) here. */
  readonly cpuProfileDir?: string;
  readonly startTimeoutMs?: number;
}

export interface RunningRuntime {
  readonly pid: number;
  /** Where `local up` synthesized the assembly (reuse it for the next runtime). */
  readonly assemblyDir: string;
  usage(): ProcessUsage;
  /** The dashboard `local up` serves (base URL, no trailing slash), if it started one. */
  dashboardUrl(): Promise<string | undefined>;
  /** Stops it; its functions' invocations, cold starts and concurrency, when it wrote them. */
  stop(): Promise<FunctionsFigures | undefined>;
}

/** Per function: what its sandboxes did over the runtime's life. */
export type FunctionsFigures = Record<string, FunctionStats>;

const READY_LINE = "local runtime running";

export async function startRuntime(options: RuntimeOptions = {}): Promise<RunningRuntime> {
  // Node flags on the command line (not NODE_OPTIONS): the function workers inherit them, so
  // each writes its own profile, and `cdk synth`'s child processes are not profiled.
  const nodeFlags = options.cpuProfileDir ? ["--cpu-prof", `--cpu-prof-dir=${options.cpuProfileDir}`] : [];
  const args = [...nodeFlags, join(REPO_ROOT, "bin", "pipeline.mjs"), "local", "up"];
  if (options.assemblyDir) args.push("--assembly", options.assemblyDir);
  // `local up` serves the dashboard too: on a free port, so a dashboard already running elsewhere doesn't clash.
  // Its standard input stays open while this process lives: when the benchmark ends in any way
  // (SIGKILL too), `local up` sees it close and stops (PIPELINE_STOP_WITH_STDIN).
  const env = { ...process.env, DASHBOARD_PORT: "0", PIPELINE_STOP_WITH_STDIN: "1" };
  const runtimeDir = RUNTIME_STATE_DIR(REPO_ROOT);
  const statsFile = functionStatsFile(runtimeDir);
  // An earlier runtime's figures are not this one's.
  rmSync(statsFile, { force: true });
  const child = spawn(process.execPath, args, { env, stdio: ["pipe", "pipe", "pipe"] });
  let output = "";
  let dashboardUrl: string | undefined;
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
    dashboardUrl ??= /^dashboard: (http:\/\/\S+?)\/?$/m.exec(output)?.[1];
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  await waitForReady(child, () => output, options.startTimeoutMs ?? 180_000);
  const pid = child.pid as number;
  return {
    pid,
    assemblyDir: options.assemblyDir ?? join(runtimeDir, "cdk.out"),
    usage: () => processUsage(pid),
    dashboardUrl: async () => {
      // Printed right after the ready line, once the dashboard's files are built.
      for (let i = 0; i < 50 && !dashboardUrl && child.exitCode === null; i++) await sleep(100);
      return dashboardUrl;
    },
    stop: async () => {
      await stopChild(child);
      return existsSync(statsFile)
        ? (JSON.parse(readFileSync(statsFile, "utf8")) as FunctionsFigures)
        : undefined;
    },
  };
}

function waitForReady(child: ChildProcess, output: () => string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new StageError(`the local runtime did not start in ${timeoutMs / 1000} s: ${output()}`));
    }, timeoutMs);
    const onData = () => {
      if (!output().includes(READY_LINE)) return;
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      child.off("exit", onExit);
      resolve();
    };
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new StageError(`the local runtime exited (code ${code}) before it was ready: ${output()}`));
    };
    child.stdout?.on("data", onData);
    child.once("exit", onExit);
  });
}

/** SIGTERM (the runtime finishes in-flight batches and writes its profiles), SIGKILL after 60 s. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  await exited;
  clearTimeout(timer);
}
