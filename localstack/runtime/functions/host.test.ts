import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import {
  type FunctionDefinition,
  FunctionError,
  FunctionStoppedError,
  LocalFunction,
  TooManyRequestsError,
  UNRESERVED_CONCURRENCY_OFFLINE,
} from "./host.ts";
import { RequestEntityTooLargeException, SYNC_PAYLOAD_LIMIT_BYTES } from "./payload-limits.ts";

describe("a local function's payload limits", () => {
  const dir = mkdtempSync(join(tmpdir(), "payload-limits-"));
  // Answers a string of the asked length: its JSON is that length plus the two quotes.
  const modulePath = join(dir, "index.mjs");
  writeFileSync(modulePath, `export const handler = async (event) => "x".repeat(event.answerChars ?? 0);\n`);
  const fn = new LocalFunction(
    {
      functionName: "payload-limits",
      modulePath,
      handlerName: "handler",
      environment: {},
      timeoutSeconds: 30,
      memoryMb: 128,
    },
    "us-east-1",
    {},
  );
  afterAll(async () => {
    await fn.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses a request over 6 MB with RequestEntityTooLargeException (413), before the function runs", async () => {
    // Arrange: one byte over, counting the JSON around the padding.
    const wrapper = JSON.stringify({ pad: "" }).length;
    const event = { pad: "x".repeat(SYNC_PAYLOAD_LIMIT_BYTES - wrapper + 1) };

    // Act
    const refused = await fn.invoke(event).catch((e: unknown) => e);

    // Assess
    expect(refused).toBeInstanceOf(RequestEntityTooLargeException);
    expect(refused).toMatchObject({
      name: "RequestEntityTooLargeException",
      message: "Request must be smaller than 6291456 bytes for the InvokeFunction operation",
      $metadata: { httpStatusCode: 413 },
    });
    expect(fn.invocations).toBe(0);
    await expect(fn.invoke({ pad: "x".repeat(SYNC_PAYLOAD_LIMIT_BYTES - wrapper) })).resolves.toBe("");
  });

  it("fails an invocation whose response is over AWS's limit with Function.ResponseSizeTooLarge", async () => {
    const failed = await fn.invoke({ answerChars: 6_291_556 - 2 + 1 }).catch((e: unknown) => e);

    expect(failed).toBeInstanceOf(FunctionError);
    expect((failed as FunctionError).errorType).toBe("Function.ResponseSizeTooLarge");
    expect((failed as FunctionError).message).toBe(
      "payload-limits: Function.ResponseSizeTooLarge: Response payload size (6291557 bytes) exceeded maximum allowed payload size (6291556 bytes).",
    );
    await expect(fn.invoke({ answerChars: 6_291_556 - 2 })).resolves.toHaveLength(6_291_554);
  });
});

describe("a sandbox's memory", () => {
  const dir = mkdtempSync(join(tmpdir(), "sandbox-memory-"));
  // Holds `event.mb` megabytes of live JavaScript objects, then answers how many it held.
  const modulePath = join(dir, "index.mjs");
  writeFileSync(
    modulePath,
    `export const handler = async (event) => {
      const held = [];
      for (let i = 0; i < event.mb; i++) held.push(Array.from({ length: 131072 }, (_, j) => j + i));
      return held.length;
    };\n`,
  );
  const fn = new LocalFunction(
    {
      functionName: "memory",
      modulePath,
      handlerName: "handler",
      environment: {},
      timeoutSeconds: 60,
      memoryMb: 128,
    },
    "us-east-1",
    {},
  );
  afterAll(async () => {
    await fn.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("fails an invocation whose heap passes the function's MemorySize with Runtime.OutOfMemory; the next starts cold", async () => {
    // Act: 300 MB of live arrays in a 128 MB function, then 10 MB.
    const failed = await fn.invoke({ mb: 300 }).catch((e: unknown) => e);
    const next = await fn.invoke({ mb: 10 });

    // Assess
    expect(failed).toBeInstanceOf(FunctionError);
    expect((failed as FunctionError).errorType).toBe("Runtime.OutOfMemory");
    expect(next).toBe(10);
    expect(fn.coldStarts).toBe(2);
  });
});

describe("a sandbox's session credentials", () => {
  const dir = mkdtempSync(join(tmpdir(), "sandbox-credentials-"));
  // Answers the access key id its sandbox was started with.
  const modulePath = join(dir, "index.mjs");
  writeFileSync(modulePath, "export const handler = async () => process.env.AWS_ACCESS_KEY_ID;\n");
  const functionOf = (expiresInMs: number) => {
    let issued = 0;
    const fn = new LocalFunction(
      {
        functionName: "credentials",
        modulePath,
        handlerName: "handler",
        environment: {},
        timeoutSeconds: 30,
        memoryMb: 128,
      },
      "us-east-1",
      {},
      undefined,
      () => {
        issued += 1;
        return {
          AWS_ACCESS_KEY_ID: `ASIAKEY${issued}`,
          AWS_CREDENTIAL_EXPIRATION: new Date(Date.now() + expiresInMs).toISOString(),
        };
      },
    );
    return fn;
  };
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("keeps a warm sandbox while its credentials outlast an invocation, and recycles it when they would not", async () => {
    const lasting = functionOf(3_600_000);
    expect([await lasting.invoke({}), await lasting.invoke({})]).toEqual(["ASIAKEY1", "ASIAKEY1"]);
    await lasting.stop();
    // 16 minutes left is less than the 30 s timeout plus the renewal margin: each invocation starts fresh.
    const expiring = functionOf(16 * 60_000);
    expect([await expiring.invoke({}), await expiring.invoke({})]).toEqual(["ASIAKEY1", "ASIAKEY2"]);
    await expiring.stop();
  });
});

describe("a local function stopped with invocations under way", () => {
  const dir = mkdtempSync(join(tmpdir(), "stopped-function-"));
  const modulePath = join(dir, "index.mjs");
  const entered = join(dir, "entered");
  // Hangs until its 60 s timeout: a batch stuck on a service under load.
  writeFileSync(
    modulePath,
    `import { writeFileSync } from "node:fs";
    export const handler = async () => { writeFileSync(${JSON.stringify(entered)}, "1"); await new Promise(() => setInterval(() => {}, 1000)); };\n`,
  );
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("kills the sandbox at once: the invocation under way, the queued one and any later one fail as stopped", async () => {
    // Prepare: one reserved sandbox, so the second invocation waits for it (as a poller's would).
    const fn = new LocalFunction(
      {
        functionName: "stuck",
        modulePath,
        handlerName: "handler",
        environment: {},
        timeoutSeconds: 60,
        memoryMb: 128,
        reservedConcurrency: 1,
      },
      "us-east-1",
      {},
    );
    const running = fn.invoke({}).catch((e: unknown) => e);
    const queued = fn.invoke({}, { whenThrottled: "wait" }).catch((e: unknown) => e);
    await vi.waitFor(() => expect(existsSync(entered)).toBe(true), { timeout: 30_000 });

    // Act
    const started = Date.now();
    await fn.stop();

    // Assess
    expect(await running).toBeInstanceOf(FunctionStoppedError);
    expect(await queued).toBeInstanceOf(FunctionStoppedError);
    expect(Date.now() - started).toBeLessThan(5_000);
    await expect(fn.invoke({})).rejects.toBeInstanceOf(FunctionStoppedError);
    expect(fn.invocations).toBe(1);
    expect(fn.errors).toBe(0);
  });
});

describe("a local function's CloudWatch Logs", () => {
  const dir = mkdtempSync(join(tmpdir(), "function-logs-"));
  const modulePath = join(dir, "index.mjs");
  writeFileSync(
    modulePath,
    `export const handler = async (event) => { console.log("said " + event.word); return "ok"; };\n`,
  );
  const definition = {
    functionName: "function-logs",
    modulePath,
    handlerName: "handler",
    environment: {},
    timeoutSeconds: 30,
    memoryMb: 128,
  };
  const started: LocalFunction[] = [];
  afterAll(async () => {
    await Promise.all(started.map((f) => f.stop()));
    rmSync(dir, { recursive: true, force: true });
  });
  const readLog = (file: string) => (existsSync(file) ? readFileSync(file, "utf8") : "");

  it.each([
    { denied: undefined, logged: true },
    { denied: "User: … is not authorized to perform: logs:PutLogEvents", logged: false },
  ])(
    "writes the function's output only when its role may write its logs (denied: $denied)",
    async ({ denied, logged }) => {
      // Prepare
      const logFile = join(dir, `${logged ? "allowed" : "denied"}.log`);
      const judgeLogs = vi.fn(async () => denied);
      const fn = new LocalFunction(definition, "us-east-1", {}, logFile, () => ({}), judgeLogs);
      started.push(fn);

      // Act: two invocations on one sandbox, and a platform note.
      await expect(fn.invoke({ word: "hello" })).resolves.toBe("ok");
      await expect(fn.invoke({ word: "again" })).resolves.toBe("ok");
      fn.note("IAM denied: something");
      // The sandbox's output and the note reach the file asynchronously: wait for all three.
      const all = (text: string) => ["said hello", "said again", "IAM denied"].every((t) => text.includes(t));
      if (logged) await vi.waitFor(() => expect(all(readLog(logFile))).toBe(true), { timeout: 10_000 });
      else await new Promise((resolve) => setTimeout(resolve, 200));

      // Assess: judged once for the one sandbox; the function ran either way.
      expect(judgeLogs).toHaveBeenCalledTimes(1);
      const text = readLog(logFile);
      expect(all(text)).toBe(logged);
      if (!logged) expect(text).toBe("");
    },
  );
});

describe("a local function's concurrency", () => {
  const dir = mkdtempSync(join(tmpdir(), "function-concurrency-"));
  const modulePath = join(dir, "index.mjs");
  // Each invocation says it entered, then waits until `event.together` have: it returns only
  // if that many run at the same time (one after another they would wait forever).
  writeFileSync(
    modulePath,
    `import { readdirSync, writeFileSync } from "node:fs";
    import { threadId } from "node:worker_threads";
    export const handler = async (event) => {
      writeFileSync(${JSON.stringify(dir)} + "/entered-" + event.round + "-" + event.n, "");
      const started = Date.now();
      while (readdirSync(${JSON.stringify(dir)}).filter((f) => f.startsWith("entered-" + event.round + "-")).length < event.together) {
        if (Date.now() - started > 20_000) throw new Error("not run together");
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return threadId;
    };\n`,
  );
  const definition = (extra: Partial<FunctionDefinition> = {}): FunctionDefinition => ({
    functionName: "concurrent",
    modulePath,
    handlerName: "handler",
    environment: {},
    timeoutSeconds: 30,
    memoryMb: 128,
    ...extra,
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("runs concurrent invocations each in its own sandbox, cold once, warm after", async () => {
    // Prepare
    const fn = new LocalFunction(definition(), "us-east-1", {});
    try {
      // Act
      const first = await Promise.all([0, 1, 2].map((n) => fn.invoke({ round: 1, n, together: 3 })));
      const second = await Promise.all([0, 1, 2].map((n) => fn.invoke({ round: 2, n, together: 3 })));

      // Assess: three sandboxes (threads), started once, used again by the second round.
      expect(new Set(first).size).toBe(3);
      expect(new Set(second)).toEqual(new Set(first));
      expect(fn.coldStarts).toBe(3);
      expect(fn.peakConcurrency).toBe(3);
      expect(fn.invocations).toBe(6);
    } finally {
      await fn.stop();
    }
  });

  it("refuses a synchronous invoke over its reserved concurrency with TooManyRequestsException; a poller's waits", async () => {
    // Prepare
    const fn = new LocalFunction(definition({ reservedConcurrency: 2 }), "us-east-1", {});
    try {
      const running = [0, 1].map((n) => fn.invoke({ round: 3, n, together: 2 }));

      // Act
      const refused = await fn.invoke({ round: 3, n: 9, together: 1 }).catch((e: unknown) => e);
      const waited = fn.invoke({ round: 4, n: 0, together: 1 }, { whenThrottled: "wait" });

      // Assess
      expect(refused).toBeInstanceOf(TooManyRequestsError);
      expect((refused as TooManyRequestsError).errorType).toBe("TooManyRequestsException");
      await Promise.all(running);
      await expect(waited).resolves.toBeTypeOf("number");
      expect(fn.throttles).toBe(1);
      expect(fn.peakConcurrency).toBe(2);
      expect(fn.coldStarts).toBe(2);
    } finally {
      await fn.stop();
    }
  });

  it("makes invocations over the offline default concurrency wait, never refuses them (AWS would run them)", async () => {
    // Prepare
    const fn = new LocalFunction(definition(), "us-east-1", {});
    const count = UNRESERVED_CONCURRENCY_OFFLINE + 2;
    try {
      // Act: the first UNRESERVED_CONCURRENCY_OFFLINE wait for each other; the two over run after.
      const results = await Promise.all(
        Array.from({ length: count }, (_, n) =>
          fn.invoke({
            round: 5,
            n,
            together: n < UNRESERVED_CONCURRENCY_OFFLINE ? UNRESERVED_CONCURRENCY_OFFLINE : 1,
          }),
        ),
      );

      // Assess
      expect(results).toHaveLength(count);
      expect(fn.throttles).toBe(0);
      expect(fn.peakConcurrency).toBe(UNRESERVED_CONCURRENCY_OFFLINE);
      expect(fn.coldStarts).toBe(UNRESERVED_CONCURRENCY_OFFLINE);
    } finally {
      await fn.stop();
    }
  });
});
