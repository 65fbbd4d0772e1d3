/**
 * `pipeline reconcile`: every dataset topic counted at each stage (Kafka, raw/, quarantine/,
 * raw table, staging view) with a verdict; exit code 1 when a record is unaccounted for, 2
 * when the stages were still moving (records in flight).
 * The JSON form is documented in core/reconcile/README.md.
 */
import type { Command } from "commander";
import { loadConfig } from "../../core/config/index.ts";
import { datasets, getDataset } from "../../core/datasets/index.ts";
import { formatReport } from "../../core/reconcile/format.ts";
import { exitStatus, reconcile, topicLocations } from "../../core/reconcile/reconcile.ts";
import { closePostgresPools } from "../../core/warehouse/postgres/pool.ts";
import { useLocalServicesEnv } from "../../localstack/runtime/open.ts";

export function register(program: Command): void {
  program
    .command("reconcile")
    .description(
      "Count every dataset topic's records per stage (Kafka, landed, quarantined, raw table, staging) and say where any are missing",
    )
    .option("--dataset <name>", "only this dataset")
    .option("--json", "print the report as JSON (format: core/reconcile/README.md)")
    .action(async (options: { dataset?: string; json?: boolean }) => {
      const chosen = options.dataset ? [getDataset(options.dataset)] : datasets;
      // The services this checkout runs (KAFKA_PORT, PGPORT, AWS_EMULATOR_PORT), as `run` uses.
      useLocalServicesEnv();
      const config = loadConfig();
      try {
        const report = await reconcile(config, topicLocations(config, chosen));
        console.log(options.json ? JSON.stringify(report, null, 2) : formatReport(report));
        // 0 reconciled, 1 records unaccounted for, 2 still in flight (core/reconcile/README.md).
        process.exitCode = exitStatus(report);
      } finally {
        await closePostgresPools();
      }
    });
}
