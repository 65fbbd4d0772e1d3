/** What can go wrong in a benchmark run, by kind: a caller can tell a stage failing from a tool missing. */
export class BenchError extends Error {
  override name = "BenchError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A stage did not finish (records never arrived, a process failed). */
export class StageError extends BenchError {
  override name = "StageError";
}

/** A reference tool (Kafka's perf classes, psql, dbt) could not run or gave no figure. */
export class ToolError extends BenchError {
  override name = "ToolError";
}
