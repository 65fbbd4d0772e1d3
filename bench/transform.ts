/**
 * Stage 3, transform: `dbt build` of the elections models over the ingested votes (their voters
 * registered first, voters.ts), then — after new votes went through the pipeline — the same
 * build again, whose incremental models (int_elections__first_votes, dim_voter, fct_votes,
 * int_elections__voter_turnout: dbt/README.md) take only the rows ingested since the last run.
 * Both are the same command; the first runs on an empty schema, so it is a full build.
 */
import { runDbt } from "../core/dbt/run.ts";
import type { VotesFile } from "./data.ts";
import { StageError } from "./errors.ts";
import { runIngest } from "./ingest.ts";
import { timed } from "./measure.ts";
import type { RunningRuntime } from "./runtime-process.ts";
import { registerVoters } from "./voters.ts";

export interface TransformFigures {
  /** Seconds of the first (full) build over every ingested vote. */
  readonly fullBuildSeconds: number;
  readonly fullBuildRows: number;
  /** New votes ingested before the incremental build. */
  readonly incrementalRows: number;
  readonly incrementalBuildSeconds: number;
  /** incrementalBuildSeconds / fullBuildSeconds (issue 17's target: ≤ 0.25). */
  readonly incrementalShareOfFull: number;
  /** The dbt command both builds ran. */
  readonly dbtArgs: readonly string[];
}

/** The elections models and everything downstream of them, with their tests. */
export const DBT_SELECTION = ["build", "--select", "path:models/staging/elections+"];

export async function runTransform(
  ingestedRows: number,
  newVotes: VotesFile,
  runtime: RunningRuntime,
  /** Every votes file of the run, whose voters are registered first (not timed). */
  votesFiles: readonly VotesFile[],
): Promise<TransformFigures> {
  await registerVoters(votesFiles);
  const full = await timed(() => build());
  await runIngest(newVotes, runtime);
  const incremental = await timed(() => build());
  return {
    fullBuildSeconds: full.seconds,
    fullBuildRows: ingestedRows,
    incrementalRows: newVotes.count,
    incrementalBuildSeconds: incremental.seconds,
    incrementalShareOfFull:
      full.seconds > 0 ? Math.round((incremental.seconds / full.seconds) * 1000) / 1000 : 0,
    dbtArgs: DBT_SELECTION,
  };
}

async function build(): Promise<void> {
  const result = await runDbt(DBT_SELECTION);
  if (result.exitCode !== 0) {
    const tail = result.output.trim().split("\n").slice(-8).join("\n");
    throw new StageError(`dbt ${DBT_SELECTION.join(" ")} failed (exit ${result.exitCode}):\n${tail}`);
  }
}
