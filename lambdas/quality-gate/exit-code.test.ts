import { describe, expect, it } from "vitest";
import { dbtExitCode } from "./exit-code.ts";

describe("dbt exit code from the dbt state's output", () => {
  it("reads the dbt container of the stopped task ecs:runTask.sync returns", () => {
    const output = {
      TaskArn: "arn:aws:ecs:us-east-1:123456789012:task/c/1",
      StopCode: "EssentialContainerExited",
      Containers: [
        { Name: "log-router", ExitCode: 0 },
        { Name: "dbt", ExitCode: 1 },
      ],
    };

    expect(dbtExitCode(output)).toBe(1);
  });

  it("reads a RunTask-shaped answer the same way", () => {
    expect(dbtExitCode({ Tasks: [{ Containers: [{ Name: "dbt", ExitCode: 0 }] }], Failures: [] })).toBe(0);
  });

  it("is null when the task has no exit code (the container never started)", () => {
    expect(dbtExitCode({ Containers: [{ Name: "dbt" }] })).toBeNull();
    expect(dbtExitCode(undefined)).toBeNull();
  });
});
