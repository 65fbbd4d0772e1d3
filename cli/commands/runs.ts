/**
 * `pipeline run` starts a "pipeline run" execution; `pipeline runs` lists executions and
 * `pipeline runs show <id>` shows one state by state, like the Step Functions console.
 */

import { join } from "node:path";
import type { Command } from "commander";
import { ExecutionHistory } from "../../core/runs/local-history.ts";
import { summarizeStates } from "../../core/runs/summarize-states.ts";
import type { Execution } from "../../core/runs/types.ts";
import { openRuntime, RUNTIME_STATE_DIR } from "../../localstack/runtime/open.ts";
import { servicesSettings } from "../../localstack/services/settings.ts";
import { waitForStartingRuntime } from "./local.ts";

const history = () =>
  new ExecutionHistory(join(RUNTIME_STATE_DIR(servicesSettings().repoRoot), "executions"));

export function register(program: Command): void {
  program
    .command("run")
    .description("Start a pipeline run (load pending files → dbt → quality gate → publish) and wait for it")
    .option("--select <selector>", "dbt node selection, e.g. 'marts.elections+'")
    .option("--from <date>", "backfill: first day (YYYY-MM-DD)")
    .option("--to <date>", "backfill: last day (YYYY-MM-DD)")
    .option("--state-machine <name>", "state machine name when the stack has several")
    .option("--assembly <dir>", "use this cloud assembly instead of synthesizing the local target")
    .option("--json", "print the execution as JSON")
    .action(
      async (options: {
        select?: string;
        from?: string;
        to?: string;
        stateMachine?: string;
        assembly?: string;
        json?: boolean;
      }) => {
        const input = pipelineRunInput(options);
        // Deploying beside a runtime that is still deploying would race it.
        await waitForStartingRuntime("this run");
        const runtime = await openRuntime({
          assemblyDir: options.assembly,
          log: options.json ? () => undefined : undefined,
        });
        try {
          await runtime.deploy();
          const { execution, done } = runtime.startExecution(options.stateMachine, input);
          if (!options.json) console.log(`started ${execution.name} (input ${JSON.stringify(input)})`);
          const finished = await done;
          if (options.json) console.log(JSON.stringify(finished, null, 2));
          else printExecution(finished);
          if (finished.status !== "SUCCEEDED") process.exitCode = 1;
        } finally {
          await runtime.stop();
        }
      },
    );

  const runs = program
    .command("runs")
    .description("List pipeline runs (newest first)")
    .option("-n, --limit <n>", "how many", "20")
    .option("--json", "print as JSON")
    .action((options: { limit: string; json?: boolean }) => {
      const list = history().list(Number(options.limit));
      if (options.json) {
        console.log(
          JSON.stringify(
            list.map(({ events: _events, ...rest }) => rest),
            null,
            2,
          ),
        );
        return;
      }
      if (list.length === 0) {
        console.log("no runs yet: start one with `npx pipeline run`");
        return;
      }
      for (const line of runsTable(list)) console.log(line);
    });

  runs
    .command("show <id>")
    .description(
      "Show one run (its name, ARN or a unique prefix of its name): status, each state with its duration, retries and error",
    )
    .option("--json", "print as JSON (with every event)")
    .action((id: string, options: { json?: boolean }) => {
      const execution = history().find(id);
      if (!execution) throw new Error(`no run "${id}" (see \`npx pipeline runs\`)`);
      if (options.json)
        console.log(JSON.stringify({ ...execution, states: summarizeStates(execution) }, null, 2));
      else printExecution(execution);
    });
}

export function pipelineRunInput(options: {
  select?: string;
  from?: string;
  to?: string;
}): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  if (options.select) input.dbtArgs = ["build", "--select", options.select];
  if (options.from || options.to) {
    const day = /^\d{4}-\d{2}-\d{2}$/;
    if (!options.from || !options.to || !day.test(options.from) || !day.test(options.to)) {
      throw new Error("--from and --to go together, as YYYY-MM-DD dates");
    }
    if (options.from > options.to) throw new Error(`--from ${options.from} is after --to ${options.to}`);
    input.backfill = { from: options.from, to: options.to };
  }
  return input;
}

/** The `pipeline runs` table: a header row, then one row per run. */
export function runsTable(list: readonly Execution[]): string[] {
  const row = (status: string, started: string, took: string, machine: string, name: string) =>
    [status.padEnd(9), started.padEnd(24), took.padStart(8), machine.padEnd(20), name].join("  ");
  return [
    row("STATUS", "STARTED (UTC)", "DURATION", "MACHINE", "RUN"),
    ...list.map((e) => row(e.status, e.startDate, duration(e), e.stateMachineName, e.name)),
  ];
}

function duration(e: Execution): string {
  const end = e.stopDate ? Date.parse(e.stopDate) : Date.now();
  return `${((end - Date.parse(e.startDate)) / 1000).toFixed(1)}s`;
}

function printExecution(e: Execution): void {
  console.log(`${e.name}  ${e.status}  ${duration(e)}  (${e.stateMachineName})`);
  for (const s of summarizeStates(e)) {
    const took = s.durationMs === undefined ? "" : `${(s.durationMs / 1000).toFixed(1)}s`;
    const retries = s.retries ? ` (${s.retries} retries)` : "";
    console.log(`  ${s.status.padEnd(9)} ${took.padStart(7)}  ${s.name}${retries}`);
    if (s.error) console.log(`            ${s.error}: ${(s.cause ?? "").split("\n").join("\n            ")}`);
  }
  if (e.status !== "SUCCEEDED" && e.error) console.log(`error: ${e.error}\ncause: ${e.cause ?? ""}`);
}
