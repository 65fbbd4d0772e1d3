/**
 * Runs Lambda functions of the synthesized template in-process, from the same handler
 * modules esbuild bundles for AWS. Each function gets a worker thread with the environment
 * the template gives it; invocations of one function are serialised (one sandbox), and a
 * timeout kills the sandbox like Lambda does, so the next invocation starts cold.
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
}

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
}

export class LocalFunction {
  private sandbox: Sandbox | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private nextId = 0;
  private stopped = false;
  invocations = 0;
  errors = 0;

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
  }

  /** Invokes the function (RequestResponse); invocations run one after another. */
  invoke<T = unknown>(event: unknown): Promise<T> {
    // Lambda refuses a request over 6 MB before any sandbox sees it.
    const refused = requestSizeError(event, "RequestResponse");
    if (refused) return Promise.reject(refused);
    const run = this.queue.then(() => this.invokeNow(event));
    this.queue = run.catch(() => undefined);
    return run as Promise<T>;
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
    worker.on("error", (error) => {
      if (!this.logsLost)
        this.log?.write(`${new Date().toISOString()} sandbox crashed: ${error.stack ?? error.message}\n`);
      if (this.sandbox?.worker === worker) this.sandbox = undefined;
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
            output.pipe(this.log, { end: false });
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

  private async invokeNow(event: unknown): Promise<unknown> {
    if (this.stopped) throw this.stoppedError();
    this.invocations += 1;
    // Lambda retires a sandbox before its session credentials expire: one whose credentials
    // would not outlast this invocation with the margin RENEW_BEFORE_EXPIRY_MS is replaced.
    const expires = this.sandbox?.credentialsExpireAt;
    const needed = this.definition.timeoutSeconds * 1000 + RENEW_BEFORE_EXPIRY_MS;
    if (this.sandbox && expires !== undefined && expires - needed < Date.now()) {
      void this.sandbox.worker.terminate();
      this.sandbox = undefined;
    }
    this.sandbox ??= this.start();
    const { worker, ready } = this.sandbox;
    try {
      await ready;
    } catch (error) {
      this.sandbox = undefined;
      if (this.stopped) throw this.stoppedError();
      this.errors += 1;
      throw error;
    }
    const id = this.nextId++;
    const timeoutMs = this.definition.timeoutSeconds * 1000;
    const message: InvokeMessage = { id, event, deadline: Date.now() + timeoutMs, requestId: randomUUID() };
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        this.errors += 1;
        this.sandbox = undefined;
        void worker.terminate();
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
        this.sandbox = undefined;
        if (this.stopped) return reject(this.stoppedError());
        this.errors += 1;
        reject(
          new FunctionError(this.definition.functionName, {
            name: "Runtime.ExitError",
            message: `exit ${code}`,
          }),
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
   * Kills the sandbox, as a Lambda shutdown does: an invocation under way fails with
   * {@link FunctionStoppedError}, and so does every one queued or asked for after it.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    const sandbox = this.sandbox;
    this.sandbox = undefined;
    if (sandbox) await sandbox.worker.terminate();
    this.log?.end();
    this.log = undefined;
  }

  private stoppedError(): FunctionStoppedError {
    return new FunctionStoppedError(`${this.definition.functionName}: the runtime is stopping`);
  }
}
