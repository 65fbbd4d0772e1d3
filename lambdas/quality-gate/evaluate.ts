/**
 * The quality decision, from dbt's `run_results.json` and the container's exit code: a run
 * passes when dbt exited 0 and no node errored or failed (warnings pass, and are counted and
 * listed with the rows they found).
 */
import { z } from "zod";
import { InvalidRunResults } from "./errors.ts";

const RunResultsSchema = z.object({
  results: z.array(
    z.object({
      unique_id: z.string(),
      status: z.string(),
      message: z.string().nullish(),
      failures: z.number().nullish(),
    }),
  ),
  elapsed_time: z.number().optional(),
});

export type RunResults = z.infer<typeof RunResultsSchema>;

/** Statuses that fail the gate: models that errored, tests that failed or errored. */
const FAILING = new Set(["error", "fail", "runtime error"]);

export interface Verdict {
  readonly passed: boolean;
  readonly exitCode: number | null;
  /** Nodes per status (success, pass, warn, skipped, error, fail …). */
  readonly counts: Readonly<Record<string, number>>;
  readonly failures: readonly { readonly node: string; readonly status: string; readonly message: string }[];
  /**
   * Tests that warned, with how many rows they found: they pass the gate and are reported
   * (e.g. the rejected votes, `rejected_votes_within_threshold`, below its threshold).
   */
  readonly warnings: readonly {
    readonly node: string;
    readonly rows: number | null;
    readonly message: string;
  }[];
}

export function parseRunResults(json: string): RunResults {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch (error) {
    throw new InvalidRunResults("run_results.json is not JSON", { cause: error });
  }
  const parsed = RunResultsSchema.safeParse(data);
  if (!parsed.success)
    throw new InvalidRunResults(`run_results.json is not dbt's format: ${parsed.error.message}`);
  return parsed.data;
}

export function evaluate(results: RunResults, exitCode: number | null): Verdict {
  const counts: Record<string, number> = {};
  for (const r of results.results) counts[r.status] = (counts[r.status] ?? 0) + 1;
  const failures = results.results
    .filter((r) => FAILING.has(r.status))
    .map((r) => ({ node: r.unique_id, status: r.status, message: r.message ?? "" }));
  const warnings = results.results
    .filter((r) => r.status === "warn")
    .map((r) => ({ node: r.unique_id, rows: r.failures ?? null, message: r.message ?? "" }));
  const passed = failures.length === 0 && (exitCode === null || exitCode === 0);
  return { passed, exitCode, counts, failures, warnings };
}

/** One readable sentence per failing node, for the alert and the execution history. */
export function describeFailures(verdict: Verdict): string {
  const lines = verdict.failures.map((f) => `${f.node} ${f.status}: ${f.message}`.trim());
  if (lines.length === 0) return `dbt exited with code ${verdict.exitCode} although no node failed`;
  return `${lines.length} dbt node(s) failed: ${lines.join("; ")}`;
}
