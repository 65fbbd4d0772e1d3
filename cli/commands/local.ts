/**
 * `pipeline local up|down|status`: the local runtime — native services plus the synthesized
 * stack running on them (Kafka and S3 triggers, schedules, state machines).
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { isRunning } from "../../core/process/is-running.ts";
import { type DashboardServer, serveDashboard } from "../../dashboard/local-server/server.ts";
import { dashboardApiInvoker } from "../../localstack/runtime/dashboard-api.ts";
import { openRuntime, RUNTIME_STATE_DIR } from "../../localstack/runtime/open.ts";
import { servicesSettings, up } from "../../localstack/services/index.ts";

const stateDir = () => RUNTIME_STATE_DIR(servicesSettings().repoRoot);
const pidFile = () => join(stateDir(), "runtime.pid");
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
      await up(servicesSettings());
      if (options.detach) {
        mkdirSync(stateDir(), { recursive: true });
        const log = openSync(runtimeLogFile(), "a");
        const args = [process.argv[1] ?? "bin/pipeline.mjs", "local", "up"];
        if (options.assembly) args.push("--assembly", options.assembly);
        const child = spawn(process.execPath, args, { detached: true, stdio: ["ignore", log, log] });
        child.unref();
        console.log(`local runtime started in the background (pid ${child.pid}); logs: ${runtimeLogFile()}`);
        console.log("dashboard: `npx pipeline dashboard` prints its URL once the runtime is up");
        return;
      }
      const runtime = await openRuntime({ assemblyDir: options.assembly });
      try {
        await runtime.deploy();
        await runtime.start();
      } catch (error) {
        // Function workers and consumers keep the process alive: a failed deploy would hang.
        await runtime.stop();
        throw error;
      }
      mkdirSync(stateDir(), { recursive: true });
      writeFileSync(pidFile(), String(process.pid));
      // The dashboard is a convenience: a busy port doesn't stop the runtime.
      const dashboard: DashboardServer | undefined = await serveDashboard(
        dashboardApiInvoker(runtime),
        stateDir(),
      ).catch((error: Error) => {
        console.warn(`dashboard not started: ${error.message}`);
        return undefined;
      });
      console.log("local runtime running — Ctrl-C to stop");
      if (dashboard) console.log(`dashboard: ${dashboard.url}`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      });
      console.log("stopping: finishing in-flight batches and executions…");
      await dashboard?.close();
      await runtime.stop();
      rmSync(pidFile(), { force: true });
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
    .action(() => {
      const pid = runtimePid();
      console.log(pid ? `local runtime running (pid ${pid})` : "local runtime not running");
      console.log(`logs: ${runtimeLogFile()}`);
    });
}

export function runtimePid(): number | undefined {
  if (!existsSync(pidFile())) return undefined;
  const pid = Number(readFileSync(pidFile(), "utf8"));
  return Number.isInteger(pid) && isRunning(pid) ? pid : undefined;
}
