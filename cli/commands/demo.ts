/**
 * `pipeline demo`: the README's first command. Everything offline, end to end, then a summary
 * of records per stage, a few gold-layer results, and where to look next.
 */
import { type Command, Option } from "commander";
import { onInterrupt } from "../../core/process/interrupt.ts";
import { formatReport } from "../../core/reconcile/format.ts";
import { runDemo } from "../../demo/run-demo.ts";
import { disown, downOwned, ownServicesStarted, servicesSettings } from "../../localstack/services/index.ts";

export function register(program: Command): void {
  program
    .command("demo")
    .description("Run the whole pipeline offline on sample data of every dataset and print a summary")
    .option("--voters <n>", "elections sample size (voters; those who turn out vote once)", "2000")
    .option("--seed <n>", "generator seed", "42")
    .addOption(
      new Option(
        "--warehouse <warehouse>",
        "the warehouse of the local target (snowflake: the offline fakesnow)",
      )
        .choices(["postgres", "snowflake"])
        .default("postgres"),
    )
    .action(async (options: { voters: string; seed: string; warehouse: "postgres" | "snowflake" }) => {
      const started = Date.now();
      // Until it ends, the services it starts are its own: Ctrl-C or SIGTERM stops them (not
      // those that ran before); once it ends they run on for the next commands, as after
      // `services up`. A next run reuses those a killed demo left.
      ownServicesStarted();
      onInterrupt(async () => void (await downOwned(servicesSettings())));
      const result = await runDemo({
        voters: Number(options.voters),
        seed: Number(options.seed),
        warehouse: options.warehouse,
        log: console.log,
      }).finally(() => disown(servicesSettings()));
      const { report, execution, gold } = result;

      // The same counts and verdict as `pipeline reconcile` (core/reconcile/README.md).
      console.log("\nRecords per stage");
      console.log(formatReport(report));

      console.log(`\nPipeline run ${execution.name}: ${execution.status}`);
      if (execution.status !== "SUCCEEDED") console.log(`  ${execution.error}: ${execution.cause}`);
      table("Election results by candidate", gold.resultsByCandidate);
      table("Sales revenue and profit by region", gold.revenueByRegion);
      table("Latest close per symbol (real prices: the shipped file has one a month)", gold.latestCloses);

      console.log(`\nDone in ${((Date.now() - started) / 1000).toFixed(0)} s. Next:`);
      console.log(`  npx pipeline runs show ${execution.name}   # the run, state by state`);
      console.log(
        "  npx pipeline local up                      # keep the stack running (Kafka/S3 triggers, schedule)",
      );
      console.log("  npx pipeline produce elections --count 10000");
      console.log("  npx pipeline services status               # endpoints and log files");
      console.log("  npx pipeline services down                 # stop the services the demo left running");
      if (execution.status !== "SUCCEEDED" || !report.reconciled) process.exitCode = 1;
    });
}

function pad(value: unknown): string {
  return String(value).padEnd(24);
}

function table(title: string, rows: Array<Record<string, unknown>>): void {
  console.log(`\n${title}`);
  if (rows.length === 0) {
    console.log("  (none)");
    return;
  }
  console.log(
    `  ${Object.keys(rows[0] ?? {})
      .map(pad)
      .join("")}`,
  );
  for (const row of rows)
    console.log(
      `  ${Object.values(row)
        .map((v) => pad(v instanceof Date ? v.toISOString().slice(0, 10) : v))
        .join("")}`,
    );
}
