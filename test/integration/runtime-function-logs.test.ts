/**
 * A function's own CloudWatch Logs writes, judged as AWS judges them (IAM enforced): a function
 * whose role may not write its log group still runs, but its logs are lost — the function's log
 * file gets nothing, and the runtime log says once, naming the role, the action and the
 * resource. With AWSLambdaBasicExecutionRole (CDK's default) the log is written.
 *
 * Regression (issue 12): before, every function's log file was written whatever its role.
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { useMiniRuntime } from "../fixtures/mini-stack.ts";
import { until } from "../fixtures/until.ts";

const unique = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

function read(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

describe("a function's CloudWatch Logs writes offline", () => {
  const mini = useMiniRuntime();

  it.each([
    { mayLog: true, logged: true },
    { mayLog: false, logged: false },
  ])(
    "writes the function's log only when its role may (role with logs rights: $mayLog)",
    async ({ mayLog, logged }) => {
      // Prepare
      const { runtime, eventsFile, log } = mini.start({
        topic: `runtime.logs.${unique()}`,
        batchSize: 10,
        bucketName: `logs-${unique()}`,
        echoMayNotLog: !mayLog,
      });
      await runtime.deploy();
      const functionName = runtime.functionNameOf("echo");
      const marker = unique();

      // Act: two invocations, one sandbox.
      await runtime.invoke(functionName, { marker });
      await runtime.invoke(functionName, { marker: `${marker}-again` });

      // Assess: the function ran both times either way; its log has its output only if allowed.
      expect(read(eventsFile)).toContain(`${marker}-again`);
      // The sandbox's output reaches its log file after the invoke returns (a worker's stdout is
      // a stream of its own, as CloudWatch shows a function's lines shortly after, not at once).
      const logFile = join(eventsFile, "..", ".state", "logs", `${functionName}.log`);
      if (logged)
        await until(
          "the function's log line",
          () => read(logFile).includes(`echo saw ${marker}`) || undefined,
          10_000,
        );
      expect(read(logFile).includes(`echo saw ${marker}`)).toBe(logged);
      const lost = log.filter((line) => line.includes("its logs are lost"));
      if (logged) expect(lost).toEqual([]);
      else
        expect(lost).toEqual([
          expect.stringMatching(
            new RegExp(
              `^${functionName}: its logs are lost, as in CloudWatch: arn:aws:iam::000000000000:role/EchoServiceRole\\w* may not logs:CreateLogGroup on arn:aws:logs:[a-z0-9-]+:000000000000:log-group:/aws/lambda/${functionName} \\(.*is not authorized to perform: logs:CreateLogGroup`,
            ),
          ),
        ]);
    },
    90_000,
  );
});
