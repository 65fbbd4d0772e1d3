/** What can go wrong in a benchmark run, by kind: a caller can tell a stage failing from a tool missing. */
import { PipelineError } from "../core/errors.ts";
export class BenchError extends PipelineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A stage did not finish (records never arrived, a process failed). */
export class StageError extends BenchError {}

/** A reference tool (Kafka's perf classes, psql, dbt) could not run or gave no figure. */
export class ToolError extends BenchError {}
