/**
 * The lanes of `npm test` (test/tools/lanes.ts, run-tests.ts): which file runs where is derived
 * from its imports, and the runner's merged report is vitest's counts of both lanes.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { lanes, OWN_LANE_MARKER, reachesSeparateSets } from "../tools/lanes.ts";
import { mergeReports, parseArgs } from "../tools/run-tests.ts";

describe("lanes", () => {
  const roots: string[] = [];
  afterEach(() => {
    for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
  });

  function repo(files: Record<string, string>): string {
    const root = mkdtempSync(join(tmpdir(), "lanes-"));
    roots.push(root);
    for (const [path, text] of Object.entries({ [OWN_LANE_MARKER]: "export const x = 1;", ...files })) {
      mkdirSync(join(root, path, ".."), { recursive: true });
      writeFileSync(join(root, path), text);
    }
    return root;
  }

  it("puts a file in the own lane when its imports reach separate-services.ts, directly or through a helper", () => {
    const root = repo({
      "test/integration/direct.test.ts": 'import { useSeparateServices } from "./separate-services.ts";',
      "test/integration/harness.ts": 'export { useSeparateServices } from "./separate-services.ts";',
      "test/integration/via-harness.test.ts": 'import {\n  startFaultStack,\n} from "./harness.ts";',
      "test/integration/dynamic.test.ts": 'const m = await import("./harness.ts");',
      "test/integration/shared.test.ts": 'import { until } from "../fixtures/until.ts";',
      "test/fixtures/until.ts": 'import { x } from "../../core/x.ts";',
    });

    expect(lanes(root)).toEqual({
      own: [
        "test/integration/direct.test.ts",
        "test/integration/dynamic.test.ts",
        "test/integration/via-harness.test.ts",
      ],
      shared: ["test/integration/shared.test.ts"],
    });
  });

  it("classifies this repository's files: the fault tests and bench-quick on separate sets, the rest shared", () => {
    const { own, shared } = lanes();
    expect(own).toEqual(
      expect.arrayContaining([
        "test/integration/fault-emulator-restart.test.ts",
        "test/integration/bench-quick.test.ts",
        "test/integration/demo-snowflake.test.ts",
      ]),
    );
    expect(shared).toEqual(
      expect.arrayContaining([
        "test/integration/kafka.test.ts",
        "test/integration/runtime-schedule-delivery.test.ts",
      ]),
    );
    expect(reachesSeparateSets("test/integration/fault-harness.ts")).toBe(true);
  });
});

describe("run-tests", () => {
  it("takes the json reporter's file for the merged report and passes everything else to both lanes", () => {
    expect(
      parseArgs([
        "--reporter=default",
        "--reporter=json",
        "--outputFile.json=out/v.json",
        "-t",
        "x",
        "kafka",
      ]),
    ).toEqual({
      passThrough: ["-t", "x", "kafka"],
      reporters: ["default"],
      jsonOutput: join(process.cwd(), "out/v.json"),
    });
    expect(parseArgs(["--reporter", "json", "--outputFile.json", "/tmp/v.json"])).toEqual({
      passThrough: [],
      reporters: [],
      jsonOutput: "/tmp/v.json",
    });
  });

  it("sums vitest's counts of both lanes; a lane without a report is a failed suite", () => {
    const report = (passed: number, failed: number, startTime: number) => ({
      success: failed === 0,
      startTime,
      testResults: [{ name: `f${passed}` }],
      numTotalTests: passed + failed,
      numPassedTests: passed,
      numFailedTests: failed,
      numTotalTestSuites: 1,
      numFailedTestSuites: failed > 0 ? 1 : 0,
    });

    const merged = mergeReports([report(3, 0, 20), report(5, 1, 10)]);
    const missing = mergeReports([report(3, 0, 20), undefined]);

    expect(merged).toMatchObject({
      success: false,
      startTime: 10,
      numTotalTests: 9,
      numPassedTests: 8,
      numFailedTests: 1,
      numTotalTestSuites: 2,
      numFailedTestSuites: 1,
    });
    expect(merged.testResults).toHaveLength(2);
    expect(missing).toMatchObject({
      success: false,
      numPassedTests: 3,
      numFailedTests: 0,
      numFailedTestSuites: 1,
    });
  });
});
