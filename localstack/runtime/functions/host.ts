/**
 * Runs Lambda functions of the synthesized template in-process, from the same handler
 * modules esbuild bundles for AWS. Each sandbox is a worker thread with the environment the
 * template gives the function and runs one invocation at a time; as Lambda does, a function
 * runs as many sandboxes at once as it has concurrent invocations, up to its concurrency
 * (reserved concurrency, else {@link UNRESERVED_CONCURRENCY_OFFLINE}), reusing a warm one
 * when one is free (a new one is a cold start). A timeout or crash kills its sandbox, so
 * the next invocation there starts cold. A sandbox's JavaScript heap is capped at the
 * function's MemorySize: past it the invocation fails with Runtime.OutOfMemory, as Lambda
 * ends a sandbox that uses more memory than it was given.
 */
import { randomUUID } from "node:crypto";
import { appendFileSync, createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { dirname } from "node:path";
import { Worker } from "node:worker_threads";
import { PipelineError } from "../../../core/errors.ts";
import { RENEW_BEFORE_EXPIRY_MS } from "../iam/credentials.ts";
import { requestSizeError, responseSizeError } from "./payload-limits.ts";
import type { InvokeMessage, ResultMessage, SerializedError, WorkerInit } from "./worker.ts";

export interface FunctionDefinition {
  /** Physical function name in the template. */
  readonly functionName: string;
  /** Absolute path of the handler module (`lambdas/<name>/index.ts`). */
  readonly modulePath: string;
  readonly handlerName: string;
  readonly environment: Record<string, string>;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  /** `ReservedConcurrentExecutions`: at most this many invocations at once (0 = throttled). */
  readonly reservedConcurrency?: number;
}

/**
 * How many sandboxes a function without reserved concurrency may run at once offline. AWS
 * gives it the account's unreserved pool (1,000 by default); on a laptop or a 2-core CI
 * machine more sandboxes of one function than this only add worker threads competing for
 * the same cores. Reaching it makes invocations wait for a sandbox (AWS would have run them),
 * never fail: written down in docs/ARCHITECTURE.md.
 */
export const UNRESERVED_CONCURRENCY_OFFLINE = 10;

export class FunctionError extends PipelineError {
  readonly errorType: string;
  constructor(functionName: string, error: SerializedError) {
    super(`${functionName}: ${error.name}: ${error.message}`);
    this.errorType = error.name;
    this.stack = error.stack;
  }
}

export class FunctionTimeoutError extends PipelineError {}

/**
 * Lambda's 429 for a synchronous Invoke of a function whose reserved concurrency is all in
 * use (`Rate Exceeded.`, reason ReservedFunctionConcurrentInvocationLimitExceeded). Nothing
 * ran; the caller may try again. Event source mappings and asynchronous invocations are not
 * refused: Lambda's pollers and event queue wait and retry, as the triggers here wait.
 */
export class TooManyRequestsError extends PipelineError {
  readonly errorType = "TooManyRequestsException";
  readonly reason = "ReservedFunctionConcurrentInvocationLimitExceeded";
}

/** What a caller does when every sandbox the function may run is busy. */
export interface InvokeOptions {
  /**
   * "refuse" (Lambda's synchronous Invoke API: {@link TooManyRequestsError} when the reserved
   * concurrency is used up) or "wait" (a poller or the asynchronous queue: run when a sandbox
   * frees). Over the offline default concurrency an invocation always waits.
   */
  readonly whenThrottled?: "refuse" | "wait";
}

/**
 * The runtime is stopping: the invocation was not run, or its sandbox was killed under it (as
 * a Lambda shutdown ends a sandbox). Not the function's failure — triggers leave the event to
 * be delivered again (an uncommitted Kafka batch, a message back on its queue).
 */
export class FunctionStoppedError extends PipelineError {
  readonly errorType = "Runtime.Stopped";
}

interface Sandbox {
  worker: Worker;
  ready: Promise<void>;
  /** When the credentials in its environment expire (AWS_CREDENTIAL_EXPIRATION), ms. */
  credentialsExpireAt: number | undefined;
  /** Ended by V8 for a heap over the function's memory (ERR_WORKER_OUT_OF_MEMORY). */
  outOfMemory?: boolean;
}

export class LocalFunction {
  /** Every sandbox alive; `warm` holds those between invocations (the last freed on top). */
  private readonly sandboxes = new Set<Sandbox>();
  private warm: Sandbox[] = [];
  /** Invocations holding a slot of the function's concurrency, and those waiting for one. */
  private running = 0;
  private readonly waiting: Array<{ go: () => void; stop: (error: Error) => void }> = [];
  private nextId = 0;
  private stopped = false;
  readonly concurrency: number;
  invocations = 0;
  errors = 0;
  /** Sandboxes started (Lambda's cold starts: a timeout or crash makes the next one cold). */
  coldStarts = 0;
  /** Synchronous invocations refused with {@link TooManyRequestsError}. */
  throttles = 0;
  /** The most invocations that ran at once. */
  peakConcurrency = 0;

  readonly definition: FunctionDefinition;
  private readonly region: string;
  private readonly baseEnv: Record<string, string | undefined>;
  private readonly logFile: string | undefined;
  private readonly sandboxEnv: () => Record<string, string>;
  private readonly judgeLogs: () => Promise<string | undefined>;
  private log: WriteStream | undefined;
  /** The last sandbox's role may not write to its log group: nothing reaches the log file. */
  private logsLost = false;

  /**
   * @param logFile where the function's stdout/stderr go (its "CloudWatch log group");
   *   undefined keeps them on this process's output.
   * @param sandboxEnv read when a sandbox starts: what it runs as (the execution role's
   *   credentials and the IAM gateway offline), over the template's environment.
   * @param judgeLogs asked once per sandbox start whether the function's role may write its
   *   CloudWatch logs; a reason when it may not — then that sandbox's output, and the
   *   platform's lines about it, are lost, as CloudWatch would show none.
   */
  constructor(
    definition: FunctionDefinition,
    region: string,
    baseEnv: Record<string, string | undefined>,
    logFile?: string,
    sandboxEnv: () => Record<string, string> = () => ({}),
    judgeLogs: () => Promise<string | undefined> = async () => undefined,
  ) {
    this.definition = definition;
    this.region = region;
    this.baseEnv = baseEnv;
    this.logFile = logFile;
    this.sandboxEnv = sandboxEnv;
    this.judgeLogs = judgeLogs;
    this.concurrency = definition.reservedConcurrency ?? UNRESERVED_CONCURRENCY_OFFLINE;
  }

  /**
   * Invokes the function (RequestResponse) in a free sandbox — a warm one if there is one,
   * else a new one while the function is under its concurrency; at it, as
   * `options.whenThrottled` says.
   */
  async invoke<T = unknown>(event: unknown, options: InvokeOptions = {}): Promise<T> {
    // Lambda refuses a request over 6 MB before any sandbox sees it.
    const refused = requestSizeError(event, "RequestResponse");
    if (refused) throw refused;
    await this.takeSlot(options.whenThrottled ?? "refuse");
    try {
      return (await this.invokeNow(event)) as T;
    } finally {
      this.freeSlot();
    }
  }

  private async takeSlot(whenThrottled: "refuse" | "wait"): Promise<void> {
    if (this.stopped) throw this.stoppedError();
    if (this.running < this.concurrency) {
      this.running += 1;
      this.peakConcurrency = Math.max(this.peakConcurrency, this.running);
      return;
    }
    if (whenThrottled === "refuse" && this.definition.reservedConcurrency !== undefined) {
      this.throttles += 1;
      throw new TooManyRequestsError(
        `${this.definition.functionName}: Rate Exceeded. (ReservedFunctionConcurrentInvocationLimitExceeded: ${this.concurrency} reserved)`,
      );
    }
    // The slot is handed over by freeSlot (running stays as it is).
    await new Promise<void>((go, stop) => this.waiting.push({ go, stop }));
  }

  private freeSlot(): void {
    const next = this.waiting.shift();
    if (next) next.go();
    else this.running -= 1;
  }

  /** A warm sandbox whose credentials outlast this invocation, else a new one (a cold start). */
  private takeSandbox(): Sandbox {
    // Lambda retires a sandbox before its session credentials expire: one whose credentials
    // would not outlast this invocation with the margin RENEW_BEFORE_EXPIRY_MS is replaced.
    const needed = this.definition.timeoutSeconds * 1000 + RENEW_BEFORE_EXPIRY_MS;
    for (let sandbox = this.warm.pop(); sandbox; sandbox = this.warm.pop()) {
      const expires = sandbox.credentialsExpireAt;
      if (expires === undefined || expires - needed >= Date.now()) return sandbox;
      this.retire(sandbox);
    }
    this.coldStarts += 1;
    const sandbox = this.start();
    this.sandboxes.add(sandbox);
    return sandbox;
  }

  /** Ends a sandbox (timed out, crashed, expiring, or stopping): it is never used again. */
  private retire(sandbox: Sandbox): void {
    this.sandboxes.delete(sandbox);
    this.warm = this.warm.filter((s) => s !== sandbox);
    void sandbox.worker.terminate();
  }

  private start(): Sandbox {
    const init: WorkerInit = {
      modulePath: this.definition.modulePath,
      handlerName: this.definition.handlerName,
      functionName: this.definition.functionName,
      memoryMb: this.definition.memoryMb,
      region: this.region,
    };
    const sandboxEnv = this.sandboxEnv();
    const expiration = sandboxEnv.AWS_CREDENTIAL_EXPIRATION;
    const worker = new Worker(new URL("./worker.ts", import.meta.url), {
      workerData: init,
      // Lambda gives a sandbox MemorySize in all; offline only the V8 heap is capped (buffers
      // and native memory are not counted: docs/ARCHITECTURE.md), so a function that runs out
      // here runs out in AWS too.
      resourceLimits: { maxOldGenerationSizeMb: this.definition.memoryMb },
      stdout: this.logFile !== undefined,
      stderr: this.logFile !== undefined,
      env: {
        ...this.baseEnv,
        ...this.definition.environment,
        ...sandboxEnv,
        AWS_LAMBDA_FUNCTION_NAME: this.definition.functionName,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(this.definition.memoryMb),
        AWS_REGION: this.region,
      },
    });
    worker.unref();
    // An uncaught exception inside the function (e.g. a pg client told "terminating connection
    // due to administrator command" between queries) ends this sandbox, as a crash ends a
    // Lambda runtime: the "exit" that follows fails the invocation, the next one starts cold.
    // Unheard, the worker's "error" would be thrown in the runtime and end every function.
    worker.on("error", (error: Error & { code?: string }) => {
      const outOfMemory = error.code === "ERR_WORKER_OUT_OF_MEMORY";
      const what = outOfMemory
        ? `out of memory: its heap passed the function's ${this.definition.memoryMb} MB`
        : `crashed: ${error.stack ?? error.message}`;
      if (!this.logsLost) this.log?.write(`${new Date().toISOString()} sandbox ${what}\n`);
      for (const sandbox of this.sandboxes)
        if (sandbox.worker === worker) {
          sandbox.outOfMemory = outOfMemory;
          this.retire(sandbox);
        }
    });
    // Whether this sandbox's role may write its logs, judged before its first invocation runs.
    const judged = this.logFile
      ? this.judgeLogs().catch((error: Error) => `its log access could not be judged (${error.message})`)
      : Promise.resolve(undefined);
    if (this.logFile) {
      const logFile = this.logFile;
      void judged.then((denied) => {
        this.logsLost = denied !== undefined;
        for (const output of [worker.stdout, worker.stderr]) {
          // Read and dropped when the role may not write: CloudWatch would show nothing.
          if (denied !== undefined) output.resume();
          else {
            if (!this.log) {
              mkdirSync(dirname(logFile), { recursive: true });
              this.log = createWriteStream(logFile, { flags: "a" });
            }
            const log = this.log;
            // Written chunk by chunk, not piped: every sandbox of the function shares the log,
            // and each pipe would add its listeners to it (Node warns past 10).
            output.on("data", (chunk: Buffer) => {
              if (!log.writableEnded) log.write(chunk);
            });
          }
        }
      });
    }
    const started = new Promise<void>((resolve, reject) => {
      const onMessage = (m: { ready?: boolean }) => {
        if (m.ready) {
          worker.off("error", reject);
          resolve();
        }
      };
      worker.once("message", onMessage);
      worker.once("error", reject);
      // Killed while it started (stop() during a cold start): the invocation waiting fails.
      worker.once("exit", (code) => reject(new Error(`sandbox exited (${code}) before it was ready`)));
    });
    const ready = Promise.all([started, judged]).then(() => undefined);
    return { worker, ready, credentialsExpireAt: expiration ? Date.parse(expiration) : undefined };
  }

  /** Runs one invocation in a sandbox of its own; the sandbox is warm for the next one after. */
  private async invokeNow(event: unknown): Promise<unknown> {
    if (this.stopped) throw this.stoppedError();
    this.invocations += 1;
    const sandbox = this.takeSandbox();
    const { ready } = sandbox;
    try {
      await ready;
    } catch (error) {
      this.retire(sandbox);
      if (this.stopped) throw this.stoppedError();
      this.errors += 1;
      throw error;
    }
    const result = this.runIn(sandbox, event);
    // Still alive (no timeout, crash or stop): warm for the next invocation.
    void result.then(
      () => this.keepWarm(sandbox),
      () => this.keepWarm(sandbox),
    );
    return await result;
  }

  private keepWarm(sandbox: Sandbox): void {
    if (!this.stopped && this.sandboxes.has(sandbox)) this.warm.push(sandbox);
  }

  private runIn(sandbox: Sandbox, event: unknown): Promise<unknown> {
    const { worker } = sandbox;
    const id = this.nextId++;
    const timeoutMs = this.definition.timeoutSeconds * 1000;
    const message: InvokeMessage = { id, event, deadline: Date.now() + timeoutMs, requestId: randomUUID() };
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        this.errors += 1;
        this.retire(sandbox);
        reject(new FunctionTimeoutError(`${this.definition.functionName} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      const onMessage = (reply: ResultMessage) => {
        if (reply.id !== id) return;
        cleanup();
        // A response over 6 MB fails the invocation in AWS, however well the handler did.
        const error = reply.ok ? responseSizeError(reply.result) : reply.error;
        if (!error) resolve(reply.ok ? reply.result : undefined);
        else {
          this.errors += 1;
          reject(new FunctionError(this.definition.functionName, error));
        }
      };
      const onExit = (code: number) => {
        cleanup();
        this.retire(sandbox);
        if (this.stopped) return reject(this.stoppedError());
        this.errors += 1;
        reject(
          new FunctionError(
            this.definition.functionName,
            sandbox.outOfMemory
              ? {
                  name: "Runtime.OutOfMemory",
                  message: `Runtime exited with error: out of memory (MemorySize ${this.definition.memoryMb} MB)`,
                }
              : { name: "Runtime.ExitError", message: `exit ${code}` },
          ),
        );
      };
      const cleanup = () => {
        clearTimeout(timer);
        worker.off("message", onMessage);
        worker.off("exit", onExit);
      };
      worker.on("message", onMessage);
      worker.on("exit", onExit);
      worker.postMessage(message);
    });
  }

  /** Writes a line to the function's log, as the platform does (e.g. an IAM denial). */
  note(message: string): void {
    if (this.logsLost) return;
    const line = `${new Date().toISOString()} ${message}\n`;
    if (this.log) this.log.write(line);
    else if (this.logFile) {
      mkdirSync(dirname(this.logFile), { recursive: true });
      appendFileSync(this.logFile, line);
    } else process.stderr.write(line);
  }

  /**
   * Kills every sandbox, as a Lambda shutdown does: an invocation under way fails with
   * {@link FunctionStoppedError}, and so does every one waiting or asked for after it.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const waiter of this.waiting.splice(0)) waiter.stop(this.stoppedError());
    const sandboxes = [...this.sandboxes];
    this.sandboxes.clear();
    this.warm = [];
    await Promise.all(sandboxes.map((s) => s.worker.terminate()));
    this.log?.end();
    this.log = undefined;
  }

  private stoppedError(): FunctionStoppedError {
    return new FunctionStoppedError(`${this.definition.functionName}: the runtime is stopping`);
  }
}
