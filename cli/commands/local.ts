/**
 * `pipeline local up|down|status`: the local runtime — native services plus the synthesized
 * stack running on them (Kafka and S3 triggers, schedules, state machines).
 */
import { spawn } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { interruptedBy, onInterrupt, stopWhenStdinCloses } from "../../core/process/interrupt.ts";
import { isRunning } from "../../core/process/is-running.ts";
import {
  type DashboardServer,
  runningDashboardUrl,
  serveDashboard,
} from "../../dashboard/local-server/server.ts";
import { dashboardApiInvoker } from "../../localstack/runtime/dashboard-api.ts";
import { openRuntime, RUNTIME_STATE_DIR } from "../../localstack/runtime/open.ts";
import { type LocalRuntime, STOP_GRACE_MS } from "../../localstack/runtime/runtime.ts";
import { downOwned, ownServicesStarted, servicesSettings, up } from "../../localstack/services/index.ts";

const stateDir = () => RUNTIME_STATE_DIR(servicesSettings().repoRoot);
const pidFile = () => join(stateDir(), "runtime.pid");
/** Holds the pid of a runtime that is starting (synth, deploy) and not serving yet. */
const startingFile = () => join(stateDir(), "runtime.starting");
export const runtimeLogFile = () => join(stateDir(), "runtime.log");

export function register(program: Command): void {
  const local = program
    .command("local")
    .description("Run the synthesized stack offline on the native services");

  local
    .command("up")
    .description("Start the native services and the local runtime (foreground; Ctrl-C stops it cleanly)")
    .option("-d, --detach", "run the runtime in the background and return (logs: .cache/runtime/runtime.log)")
    .option("--assembly <dir>", "use this cloud assembly instead of running `cdk synth -c target=local`")
    .action(async (options: { detach?: boolean; assembly?: string }) => {
      const running = runtimePid();
      if (running) {
        console.log(`local runtime already running (pid ${running}); logs: ${runtimeLogFile()}`);
        return;
      }
      // The background child runs this same command under the marker its parent wrote.
      const child = process.env.PIPELINE_RUNTIME_CHILD === "1";
      const starting = child ? undefined : startingPid();
      if (starting) {
        console.log(`local runtime already starting (pid ${starting}); logs: ${runtimeLogFile()}`);
        return;
      }
      mkdirSync(stateDir(), { recursive: true });
      // "starting" from the first moment: services up can take minutes on a first run.
      if (!child) writeFileSync(startingFile(), String(process.pid));
      let runtime: LocalRuntime | undefined;
      let dashboard: DashboardServer | undefined;
      // In the foreground, what it starts is its own: Ctrl-C or SIGTERM stops the runtime, then
      // the services it started (not those that ran before), and a next run reuses services a
      // killed one left. In the background (--detach), the services outlive it, as documented.
      const foreground = !options.detach && !child;
      if (foreground) ownServicesStarted();
      if (process.env.PIPELINE_STOP_WITH_STDIN === "1") {
        delete process.env.PIPELINE_STOP_WITH_STDIN; // not for the processes it starts
        stopWhenStdinCloses();
      }
      const stopAll = async () => {
        await dashboard?.close();
        await runtime?.stop();
        rmSync(pidFile(), { force: true });
        rmSync(startingFile(), { force: true });
        const stopped = await downOwned(servicesSettings());
        if (stopped.length > 0) console.log(`stopped ${stopped.map((s) => s.name).join(", ")}`);
      };
      if (!options.detach) {
        onInterrupt(() => {
          console.log(
            `stopping: in-flight invocations get ${STOP_GRACE_MS / 1000} s to finish, then their sandboxes are killed…`,
          );
          return stopAll();
        });
      }
      await up(servicesSettings(), [], (line) => console.log(`[services] ${line}`));
      if (interruptedBy()) return; // the handler stops what `up` started; nothing more starts
      if (options.detach) {
        const logFrom = existsSync(runtimeLogFile()) ? statSync(runtimeLogFile()).size : 0;
        const log = openSync(runtimeLogFile(), "a");
        const args = [process.argv[1] ?? "bin/pipeline.mjs", "local", "up"];
        if (options.assembly) args.push("--assembly", options.assembly);
        const background = spawn(process.execPath, args, {
          detached: true,
          stdio: ["ignore", log, log],
          env: { ...process.env, PIPELINE_RUNTIME_CHILD: "1" },
        });
        background.unref();
        if (background.pid) writeFileSync(startingFile(), String(background.pid));
        console.log(
          `local runtime starting in the background (pid ${background.pid}); logs: ${runtimeLogFile()}`,
        );
        await followUntilServing(background.pid ?? 0, logFrom);
        return;
      }
      try {
        runtime = await openRuntime({ assemblyDir: options.assembly });
        await runtime.deploy();
        await runtime.start();
      } catch (error) {
        // Function workers and consumers keep the process alive: a failed deploy would hang.
        await stopAll();
        throw error;
      }
      writeFileSync(pidFile(), String(process.pid));
      // The dashboard is a convenience: a busy port doesn't stop the runtime.
      dashboard = await serveDashboard(dashboardApiInvoker(runtime), stateDir()).catch((error: Error) => {
        console.warn(`dashboard not started: ${error.message}`);
        return undefined;
      });
      rmSync(startingFile(), { force: true });
      console.log("local runtime running — Ctrl-C to stop");
      if (dashboard) console.log(`dashboard: ${dashboard.url}`);
      // Runs until SIGINT or SIGTERM: the handler above stops everything and exits (130, 143).
    });

  local
    .command("down")
    .description(
      "Stop a background local runtime (the native services keep running: `pipeline services down`)",
    )
    .action(async () => {
      const pid = runtimePid();
      if (!pid) {
        console.log("local runtime is not running");
        return;
      }
      process.kill(pid, "SIGTERM");
      for (let i = 0; i < 300 && isRunning(pid); i++) await new Promise((r) => setTimeout(r, 100));
      if (isRunning(pid)) process.kill(pid, "SIGKILL");
      rmSync(pidFile(), { force: true });
      console.log(`local runtime (pid ${pid}) stopped`);
    });

  local
    .command("status")
    .description("Say whether the local runtime runs, and where its logs are")
    .action(async () => {
      const pid = runtimePid();
      const starting = pid ? undefined : startingPid();
      if (pid) {
        const url = await runningDashboardUrl(stateDir());
        console.log(`local runtime running (pid ${pid})${url ? `; dashboard: ${url}` : ""}`);
      } else if (starting) {
        console.log(
          `local runtime starting (pid ${starting}): ${lastLogLine() ?? "synthesizing and deploying"}`,
        );
      } else console.log("local runtime not running");
      console.log(`logs: ${runtimeLogFile()}`);
    });
}

/** The pid of a runtime still starting (synthesizing, deploying), if one is. */
export function startingPid(): number | undefined {
  if (!existsSync(startingFile())) return undefined;
  const pid = Number(readFileSync(startingFile(), "utf8"));
  return Number.isInteger(pid) && isRunning(pid) ? pid : undefined;
}

/**
 * Waits while a local runtime is starting, so a command run meanwhile doesn't deploy or serve
 * beside it; says so first. Returns at once when none is starting.
 */
export async function waitForStartingRuntime(what: string): Promise<void> {
  const pid = startingPid();
  if (!pid) return;
  console.error(`the local runtime (pid ${pid}) is starting: ${what} waits for it…`);
  while (startingPid()) await new Promise((r) => setTimeout(r, 500));
}

/**
 * Prints the background runtime's log lines as they come until it serves (then its
 * dashboard's URL) or dies (then the end of its log, and a failure).
 */
async function followUntilServing(pid: number, logFrom: number): Promise<void> {
  let offset = logFrom;
  const follow = () => {
    const size = existsSync(runtimeLogFile()) ? statSync(runtimeLogFile()).size : 0;
    if (size <= offset) return;
    const fd = openSync(runtimeLogFile(), "r");
    try {
      const chunk = Buffer.alloc(size - offset);
      readSync(fd, chunk, 0, chunk.length, offset);
      offset = size;
      const text = chunk.toString("utf8").replace(/\n$/, "");
      if (text) console.log(text.replace(/^/gm, "  "));
    } finally {
      closeSync(fd);
    }
  };
  for (;;) {
    follow();
    if (runtimePid() === pid) {
      const url = await runningDashboardUrl(stateDir());
      // The runtime writes its pid before it starts the dashboard: give the server a moment.
      if (url || !startingPid()) {
        follow();
        console.log(
          `local runtime running in the background (pid ${pid}) — \`npx pipeline local down\` stops it`,
        );
        console.log(url ? `dashboard: ${url}` : "dashboard not started (see the log above)");
        return;
      }
    }
    if (!isRunning(pid)) {
      follow();
      rmSync(startingFile(), { force: true });
      throw new Error(`the local runtime (pid ${pid}) stopped while starting; see ${runtimeLogFile()}`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}

function lastLogLine(): string | undefined {
  if (!existsSync(runtimeLogFile())) return undefined;
  const size = statSync(runtimeLogFile()).size;
  const fd = openSync(runtimeLogFile(), "r");
  try {
    const chunk = Buffer.alloc(Math.min(size, 4096));
    readSync(fd, chunk, 0, chunk.length, size - chunk.length);
    return chunk.toString("utf8").trim().split("\n").at(-1)?.trim() || undefined;
  } finally {
    closeSync(fd);
  }
}

export function runtimePid(): number | undefined {
  if (!existsSync(pidFile())) return undefined;
  const pid = Number(readFileSync(pidFile(), "utf8"));
  return Number.isInteger(pid) && isRunning(pid) ? pid : undefined;
}
