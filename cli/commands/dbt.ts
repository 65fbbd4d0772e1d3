/**
 * `pipeline dbt <args…>`: runs the project's dbt (dbt/) from the native environment built by
 * `pipeline services up`, against the warehouse of the current configuration. Arguments go to
 * dbt unchanged; the exit code is dbt's.
 */
import type { Command } from "commander";
import { runDbt } from "../../core/dbt/run.ts";

export function register(program: Command): void {
  program
    .command("dbt")
    .description("Run dbt on the project in dbt/ with the native environment (arguments are passed to dbt)")
    .argument("[args...]", "dbt arguments, e.g. build --target local --select marts.sales")
    .allowUnknownOption()
    .addHelpText(
      "after",
      `
Examples:
  npx pipeline dbt build --target local          build and test every model on PostgreSQL
  npx pipeline dbt compile --target prod         compile for Snowflake (SNOWFLAKE_* variables)
  npx pipeline dbt docs generate
  npx pipeline dbt -- --help                     dbt's own help

The connection comes from DATABASE_URL or PG* (default postgres://pipeline:pipeline@127.0.0.1:5432/warehouse);
DBT_SCHEMA picks the target schema (default analytics), DBT_VENV another venv.`,
    )
    .action(async (args: string[]) => {
      const { exitCode } = await runDbt(args, { stdio: "inherit" });
      process.exitCode = exitCode;
    });
}
