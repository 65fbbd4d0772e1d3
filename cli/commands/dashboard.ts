/**
 * `pipeline dashboard`: prints the URL of the dashboard, starting its server when none runs
 * (`pipeline local up` starts one too). The server runs the template's dashboard-api function
 * in the local runtime's function host; see dashboard/local-server/server.ts.
 */
import type { Command } from "commander";
import { runningDashboardUrl, serveDashboard } from "../../dashboard/local-server/server.ts";
import { dashboardApiInvoker } from "../../localstack/runtime/dashboard-api.ts";
import { openRuntime, RUNTIME_STATE_DIR } from "../../localstack/runtime/open.ts";
import { servicesSettings } from "../../localstack/services/settings.ts";
import { waitForStartingRuntime } from "./local.ts";

export function register(program: Command): void {
  program
    .command("dashboard")
    .description(
      "Open the dashboard: print the URL of the running dashboard server, or start one (Ctrl-C stops it)",
    )
    .option("-p, --port <port>", "port to listen on (default DASHBOARD_PORT or 3000)")
    .option("--assembly <dir>", "use this cloud assembly instead of synthesizing the local target")
    .action(async (options: { port?: string; assembly?: string }) => {
      const stateDir = RUNTIME_STATE_DIR(servicesSettings().repoRoot);
      // A runtime that is starting serves the dashboard soon: wait for it rather than start a second.
      await waitForStartingRuntime("the dashboard");
      const running = await runningDashboardUrl(stateDir);
      if (running) {
        console.log(`dashboard: ${running}`);
        return;
      }
      const port = options.port === undefined ? undefined : parsePort(options.port);
      const runtime = await openRuntime({ assemblyDir: options.assembly, log: () => undefined });
      try {
        const server = await serveDashboard(dashboardApiInvoker(runtime), stateDir, port);
        console.log(`dashboard: ${server.url} — Ctrl-C to stop`);
        await new Promise<void>((resolve) => {
          process.once("SIGINT", resolve);
          process.once("SIGTERM", resolve);
        });
        await server.close();
      } finally {
        await runtime.stop();
      }
    });
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new Error(`--port ${value} is not a port number`);
  return port;
}
