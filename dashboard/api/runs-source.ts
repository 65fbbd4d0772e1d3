/**
 * Where the dashboard reads runs from: the local runtime's history offline (runs-local.ts),
 * Step Functions in AWS (runs-sfn.ts); runs.ts picks one by configuration.
 */
import type { Execution } from "../../core/runs/types.ts";

/** Where runs are read from. */
export interface RunsSource {
  /** Newest first. */
  list(limit: number): Promise<Execution[]>;
  /** One execution with its events; undefined when there is no such run. */
  get(id: string): Promise<Execution | undefined>;
}
