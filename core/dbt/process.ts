/** Runs a child process to its end, resolving with its exit code and (when piped) its output. */
import { spawn } from "node:child_process";
import { DbtSpawnError } from "./errors.ts";

export interface ProcessResult {
  /** The exit code; 128 when a signal ended it. */
  readonly exitCode: number;
  /** stdout and stderr interleaved (empty with stdio "inherit"). */
  readonly output: string;
}

export function runProcess(
  command: string,
  args: readonly string[],
  options: { cwd: string; env: Record<string, string | undefined>; stdio?: "inherit" | "pipe" },
): Promise<ProcessResult> {
  const stdio = options.stdio ?? "pipe";
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], {
      cwd: options.cwd,
      env: options.env,
      stdio: ["ignore", stdio, stdio],
    });
    const chunks: Buffer[] = [];
    child.stdout?.on("data", (chunk: Buffer) => chunks.push(chunk));
    child.stderr?.on("data", (chunk: Buffer) => chunks.push(chunk));
    child.on("error", (cause) => reject(new DbtSpawnError(`could not start ${command}`, { cause })));
    child.on("close", (code, signal) =>
      resolve({ exitCode: code ?? (signal ? 128 : 1), output: Buffer.concat(chunks).toString("utf8") }),
    );
  });
}
