/**
 * `pipeline` — the command line of the platform. Each command lives in its own module under
 * `cli/commands/` and registers itself on the program; this file only wires them together.
 */
import { Command } from "commander";
import { interruptedBy } from "../core/process/interrupt.ts";
import { registerCommands } from "./commands/index.ts";

const program = new Command()
  .name("pipeline")
  .description("Serverless data platform: run it offline, produce data, start runs, reconcile, benchmark.")
  .showHelpAfterError()
  .configureHelp({ sortSubcommands: true });

registerCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // Interrupted: the signal's handler stops what the command started and sets the exit status.
  if (interruptedBy()) await new Promise(() => undefined);
  // Expected failures (a missing prerequisite, bad input) print one sentence, not a stack trace.
  const message = error instanceof Error ? error.message : String(error);
  console.error(`pipeline: ${message}`);
  if (process.env.PIPELINE_DEBUG && error instanceof Error) console.error(error.stack);
  process.exitCode = 1;
}
