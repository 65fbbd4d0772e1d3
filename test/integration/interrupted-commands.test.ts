/**
 * `pipeline bench` and `pipeline local up` stopped by SIGTERM (a timeout, `kill`) or killed by
 * SIGKILL, through the real CLI in its own session: SIGTERM stops the services the command
 * started and exits 143; after SIGKILL the next run stops (the benchmark's set) or adopts (a
 * state dir's services) what the killed one left, instead of failing on ports in use — and a
 * developer's `services up` survives both. Own ports (24000 and 25000 + TEST_PORT_SHIFT).
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { tcpOpen } from "../../localstack/services/health.ts";
import {
  separateServicesEnv,
  separateSetRoot,
  startSeparateServices,
} from "../../localstack/services/separate.ts";
import { REPO_ROOT } from "../../localstack/services/settings.ts";
import { testPortShift } from "../fixtures/test-services.ts";

const CLI = join(REPO_ROOT, "bin", "pipeline.mjs");
const BENCH_BASE = 24_000 + testPortShift();
const LOCAL_BASE = 25_000 + testPortShift();
/** Kafka, PostgreSQL, the AWS emulator (what a separate set runs), then the offline Snowflake. */
const SET_OFFSETS = { kafka: 92, postgres: 432, "aws-emulator": 566 };
const SNOWFLAKE_OFFSET = 567;

interface Cli {
  readonly child: ChildProcess;
  /** Resolves once the output matches `pattern`; rejects if the process ends first. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  readonly exited: Promise<number | null>;
  output(): string;
}

const started: Cli[] = [];
const cleanups: Array<() => Promise<void>> = [];

afterAll(async () => {
  for (const cli of started) if (cli.child.exitCode === null) killGroup(cli.child, "SIGKILL");
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
}, 300_000);

/** The CLI in its own session (as from a terminal); its output kept for the assertions. */
function runCli(args: string[], env: NodeJS.ProcessEnv = process.env): Cli {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: REPO_ROOT,
    env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let text = "";
  const watchers: Array<() => void> = [];
  const collect = (chunk: Buffer) => {
    text += chunk.toString();
    for (const watcher of watchers) watcher();
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const cli: Cli = {
    child,
    exited,
    output: () => text,
    waitFor: (pattern, timeoutMs = 240_000) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no ${pattern} in ${timeoutMs} ms:\n${text}`)),
          timeoutMs,
        );
        const check = () => {
          if (!pattern.test(text)) return;
          clearTimeout(timer);
          resolve();
        };
        watchers.push(check);
        void exited.then((code) => {
          clearTimeout(timer);
          if (!pattern.test(text)) reject(new Error(`exited (${code}) before ${pattern}:\n${text}`));
        });
        check();
      }),
  };
  started.push(cli);
  return cli;
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-(child.pid as number), signal);
  } catch {
    // already gone
  }
}

async function openPorts(ports: Record<string, number>): Promise<string[]> {
  const open = await Promise.all(
    Object.entries(ports).map(async ([name, port]) => ((await tcpOpen(port)) ? [name] : [])),
  );
  return open.flat().sort();
}

function portsOf(base: number, offsets: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(offsets).map(([name, offset]) => [name, base + offset]));
}

describe("pipeline bench, interrupted or killed", () => {
  const ports = portsOf(BENCH_BASE, SET_OFFSETS);
  const args = ["bench", "--quick", "--port-base", String(BENCH_BASE)];
  /** Printed once the benchmark's services are up, before its runtime starts. */
  const SERVICES_UP = /generating \d+/;

  it("on SIGTERM stops its services, removes their directory and exits 143; a second bench meanwhile is refused, not killed", async () => {
    // Arrange
    const bench = runCli(args);
    await bench.waitFor(SERVICES_UP);
    expect(await openPorts(ports)).toEqual(Object.keys(ports).sort());

    // Act: a second run on the same ports while the first lives, then SIGTERM to the first only.
    const second = await startSeparateServices("bench", BENCH_BASE).then(
      (set) => set.release().then(() => "started"),
      (error: Error) => error.message,
    );
    process.kill(bench.child.pid as number, "SIGTERM");
    const status = await bench.exited;

    // Assert
    expect(second).toMatch(/belong to `pipeline bench` \(pid \d+\), which still runs/);
    expect(status, bench.output()).toBe(143);
    expect(await openPorts(ports)).toEqual([]);
    expect(existsSync(separateSetRoot("bench", BENCH_BASE))).toBe(false);
  }, 300_000);

  it("after SIGKILL, the next run on those ports stops the services the killed one left and starts its own", async () => {
    // Arrange: a benchmark killed once its services are up leaves them running.
    const bench = runCli(args);
    await bench.waitFor(SERVICES_UP);
    killGroup(bench.child, "SIGKILL");
    await bench.exited;
    expect(await openPorts(ports)).toEqual(Object.keys(ports).sort());

    // Act: the next benchmark's start (the same call `pipeline bench` makes).
    const next = await startSeparateServices("bench", BENCH_BASE);
    cleanups.push(() => next.release());
    const upAfterStart = await openPorts(ports);
    await next.release();

    // Assert
    expect(upAfterStart).toEqual(Object.keys(ports).sort());
    expect(await openPorts(ports)).toEqual([]);
    expect(existsSync(separateSetRoot("bench", BENCH_BASE))).toBe(false);
  }, 300_000);
});

describe("pipeline local up, interrupted or killed", () => {
  const ports = portsOf(LOCAL_BASE, { ...SET_OFFSETS, snowflake: SNOWFLAKE_OFFSET });
  const stateDir = mkdtempSync(join(tmpdir(), "interrupted-services-"));
  const runtimeDir = mkdtempSync(join(tmpdir(), "interrupted-runtime-"));
  const env = { ...process.env, ...separateServicesEnv(LOCAL_BASE, { stateDir, runtimeDir }) };
  const servicesDown = () => promisify(execFile)(process.execPath, [CLI, "services", "down"], { env });
  cleanups.push(async () => {
    await servicesDown();
    rmSync(stateDir, { recursive: true, force: true });
    rmSync(runtimeDir, { recursive: true, force: true });
  });
  /** The services' pid files left in the state dir. */
  const pidFiles = () =>
    ["kafka", "postgres", "aws-emulator", "snowflake"]
      .map((name) => join(name, `${name}.pid`))
      .filter((file) => existsSync(join(stateDir, file)));

  it("on SIGTERM while its services start, stops those it started and exits 143; a developer's `services up` runs on", async () => {
    // Arrange: a developer's PostgreSQL, started with `services up`.
    await promisify(execFile)(process.execPath, [CLI, "services", "up", "postgres"], { env });
    const local = runCli(["local", "up"], env);
    await local.waitFor(/\[services\] \S+: starting/);

    // Act
    process.kill(local.child.pid as number, "SIGTERM");
    const status = await local.exited;

    // Assert
    expect(status, local.output()).toBe(143);
    expect(await openPorts(ports)).toEqual(["postgres"]);
    expect(pidFiles()).toEqual([join("postgres", "postgres.pid")]);
    await servicesDown();
    expect(await openPorts(ports)).toEqual([]);
  }, 300_000);

  it("after SIGKILL, the next run adopts the services the killed one started, and its SIGTERM stops them", async () => {
    // Arrange: killed once one of its services is up (the others are starting).
    const killed = runCli(["local", "up"], env);
    await killed.waitFor(/\[services\] \S+: up in/);
    killGroup(killed.child, "SIGKILL");
    await killed.exited;
    const leftRunning = await openPorts(ports);

    // Act: the next run gets past `services up` (no port refused), then is stopped.
    const next = runCli(["local", "up"], env);
    await next.waitFor(/adopted/);
    process.kill(next.child.pid as number, "SIGTERM");
    const status = await next.exited;

    // Assert
    expect(leftRunning.length).toBeGreaterThan(0);
    expect(next.output()).not.toMatch(/already in use/);
    expect(status, next.output()).toBe(143);
    expect(await openPorts(ports)).toEqual([]);
    expect(pidFiles()).toEqual([]);
  }, 300_000);
});
