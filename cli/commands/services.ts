/**
 * `pipeline services up|down|status`: the native offline services (Kafka, PostgreSQL, the AWS
 * emulator) and dbt, without Docker. The work is done in localstack/services/.
 */
import type { Command } from "commander";
import { down, type ServiceStatus, servicesSettings, status, up } from "../../localstack/services/index.ts";

const NAMES_HELP = "services to act on: kafka, postgres, aws-emulator, snowflake, dbt (default: all)";

export function register(program: Command): void {
  const services = program
    .command("services")
    .description(
      "Start, stop and inspect the native offline services (Kafka, PostgreSQL, AWS emulator, Snowflake, dbt)",
    )
    .addHelpText(
      "after",
      "\nState (data, logs, pid files) lives in .cache/services/ (PIPELINE_SERVICES_DIR); ports come from\nKAFKA_PORT (9092), PGPORT (5432), AWS_EMULATOR_PORT (4566) and\nSNOWFLAKE_EMULATOR_PORT (the emulator's + 1: fakesnow, the offline Snowflake).",
    );

  services
    .command("up")
    .description("Install what is missing (cached) and start the services; running ones are left alone")
    .argument("[names...]", NAMES_HELP)
    .action(async (names: string[]) => {
      const started = Date.now();
      for (const result of await up(servicesSettings(), names, (line) => console.log(`  ${line}`))) {
        const pid = result.pid ? ` (pid ${result.pid})` : "";
        console.log(`${result.name.padEnd(13)} ${result.action}${pid} in ${result.seconds} s`);
      }
      console.log(
        `services up in ${((Date.now() - started) / 1000).toFixed(1)} s; see \`pipeline services status\``,
      );
    });

  services
    .command("down")
    .description("Stop the services and make sure none of their processes is left")
    .argument("[names...]", NAMES_HELP)
    .action(async (names: string[]) => {
      for (const result of await down(servicesSettings(), names)) {
        const pids = result.pids.length > 0 ? ` (pids ${result.pids.join(", ")})` : "";
        console.log(`${result.name.padEnd(13)} ${result.action}${pids}`);
      }
    });

  services
    .command("status")
    .description("Say what runs where: service, state, health, pid, endpoint, log file")
    .option("--json", "print JSON instead of a table")
    .action(async (options: { json?: boolean }) => {
      const statuses = await status(servicesSettings());
      console.log(options.json ? JSON.stringify(statuses, null, 2) : table(statuses));
    });
}

function table(statuses: readonly ServiceStatus[]): string {
  const rows = [
    ["SERVICE", "STATE", "HEALTH", "PID", "ENDPOINT", "LOG"],
    ...statuses.map((s) => [
      s.name,
      s.state,
      s.kind === "tool" || s.state === "stopped" ? "-" : s.healthy ? "ok" : "failing",
      s.pid ? String(s.pid) : "-",
      s.endpoint,
      s.logFile ?? "-",
    ]),
  ];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => r[i]?.length ?? 0))) ?? [];
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}
