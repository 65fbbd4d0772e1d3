/** Per-state summaries of a run, like the Step Functions console's graph view. */
import type { Execution, StateSummary } from "./types.ts";

export function summarizeStates(execution: Execution): StateSummary[] {
  const states: StateSummary[] = [];
  const open = new Map<string, StateSummary>();
  for (const event of execution.events) {
    if (!event.state) continue;
    const key = `${event.state}#${event.index ?? ""}`;
    if (event.type === "StateEntered") {
      const summary: StateSummary = {
        name: event.index === undefined ? event.state : `${event.state} [${event.index}]`,
        type: event.stateType ?? "",
        status: "RUNNING",
        enteredAt: event.timestamp,
        retries: 0,
      };
      states.push(summary);
      open.set(key, summary);
      continue;
    }
    const summary = open.get(key);
    if (!summary) continue;
    if (event.type === "StateRetried") {
      // Another attempt: the state is running again; its outcome is the last attempt's.
      summary.retries += 1;
      summary.status = "RUNNING";
    }
    if (event.type === "StateFailed") {
      summary.status = "FAILED";
      summary.error = event.error;
      summary.cause = event.cause;
    }
    if (event.type === "StateCaught") summary.status = "CAUGHT";
    if (event.type === "StateExited" || event.type === "StateFailed") {
      // The interpreter also reports a caught state as exited: it stays CAUGHT, with its error.
      if (event.type === "StateExited" && summary.status === "RUNNING") {
        summary.status = "SUCCEEDED";
        summary.error = undefined;
        summary.cause = undefined;
      }
      summary.exitedAt = event.timestamp;
      summary.durationMs = Date.parse(event.timestamp) - Date.parse(summary.enteredAt);
    }
  }
  return states;
}
