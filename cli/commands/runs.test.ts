import { describe, expect, it } from "vitest";
import type { Execution } from "../../core/runs/types.ts";
import { runsTable } from "./runs.ts";

const run: Execution = {
  executionArn: "arn:aws:states:us-east-1:000000000000:execution:run:r1",
  name: "r1",
  stateMachineArn: "arn:aws:states:us-east-1:000000000000:stateMachine:run",
  stateMachineName: "run",
  status: "FAILED",
  startDate: "2026-12-01T00:00:00.000Z",
  stopDate: "2026-12-01T00:00:12.000Z",
  input: {},
  events: [],
};

describe("the runs table", () => {
  it("starts with a header row whose columns line up with the rows", () => {
    const [header, row] = runsTable([run]);

    expect(header).toMatch(/^STATUS\s+STARTED \(UTC\)\s+DURATION\s+MACHINE\s+RUN$/);
    expect(row).toMatch(/^FAILED\s+2026-12-01T00:00:00.000Z\s+12.0s\s+run\s+r1$/);
    expect(row?.indexOf("r1")).toBe(header?.indexOf("RUN"));
  });
});
