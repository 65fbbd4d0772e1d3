import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { InvalidRunResults } from "./errors.ts";
import { describeFailures, evaluate, parseRunResults } from "./evaluate.ts";

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8");

describe("quality decision", () => {
  it("passes a run whose models succeeded and tests passed or warned, counting each status", () => {
    const results = parseRunResults(fixture("run_results.passed.json"));

    const verdict = evaluate(results, 0);

    expect(verdict).toMatchObject({ passed: true, counts: { success: 1, pass: 1, warn: 1 }, failures: [] });
    expect(verdict.warnings).toEqual([
      expect.objectContaining({ rows: expect.any(Number), message: expect.stringContaining("warn") }),
    ]);
  });

  it("fails a run with a failed test or an errored model and names them with dbt's messages", () => {
    const results = parseRunResults(fixture("run_results.failed.json"));

    const verdict = evaluate(results, 1);

    expect(verdict.passed).toBe(false);
    expect(verdict.failures.map((f) => f.node)).toEqual([
      "test.pipeline.unique_fct_votes_vote_id",
      "model.pipeline.dim_candidates",
    ]);
    expect(describeFailures(verdict)).toContain("Got 3 results, configured to fail if != 0");
  });

  it("fails a run dbt exited non-zero from even when no node failed", () => {
    const verdict = evaluate(parseRunResults(fixture("run_results.passed.json")), 2);

    expect(verdict.passed).toBe(false);
    expect(describeFailures(verdict)).toBe("dbt exited with code 2 although no node failed");
  });

  it("refuses a file that is not dbt's run results", () => {
    expect(() => parseRunResults("{}")).toThrow(InvalidRunResults);
    expect(() => parseRunResults("not json")).toThrow(InvalidRunResults);
  });
});
