/**
 * One Lambda "sandbox": a worker thread that imports a handler module once and runs
 * invocations one at a time, with the function's own environment (set by the host when it
 * creates the worker, so functions never see each other's variables).
 */
import { randomUUID } from "node:crypto";
import { enableCompileCache } from "node:module";
import { parentPort, workerData } from "node:worker_threads";
import type { Context } from "aws-lambda";
import { LOCAL_ACCOUNT } from "../../../core/config/index.ts";
import { RuntimeError } from "../errors.ts";

export interface WorkerInit {
  readonly modulePath: string;
  readonly handlerName: string;
  readonly functionName: string;
  readonly memoryMb: number;
  readonly region: string;
}

export interface InvokeMessage {
  readonly id: number;
  readonly event: unknown;
  readonly deadline: number;
  readonly requestId: string;
}

export type ResultMessage =
  | { readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly id: number; readonly ok: false; readonly error: SerializedError };

export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
}

const init = workerData as WorkerInit;
// V8's compiled code of the handler and its packages, kept on disk by Node (in os.tmpdir(),
// keyed by each file's contents): every sandbox compiled the AWS SDK, pg and kafkajs again,
// ~0.3 s of CPU of a 0.55 s land-records cold start. A cold start is still a cold start
// (a new worker, its modules evaluated, counted in `coldStarts`); only compiling is shared.
enableCompileCache();
const module = (await import(init.modulePath)) as Record<string, unknown>;
const handler = module[init.handlerName];
if (typeof handler !== "function") {
  throw new RuntimeError(`${init.modulePath} has no exported function "${init.handlerName}"`);
}

function lambdaContext(message: InvokeMessage): Context {
  const arn = `arn:aws:lambda:${init.region}:${LOCAL_ACCOUNT}:function:${init.functionName}`;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: init.functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: arn,
    memoryLimitInMB: String(init.memoryMb),
    awsRequestId: message.requestId,
    logGroupName: `/aws/lambda/${init.functionName}`,
    logStreamName: `local/${randomUUID()}`,
    getRemainingTimeInMillis: () => Math.max(0, message.deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

parentPort?.on("message", async (message: InvokeMessage) => {
  let reply: ResultMessage;
  try {
    const result = await (handler as (event: unknown, context: Context) => Promise<unknown>)(
      message.event,
      lambdaContext(message),
    );
    reply = { id: message.id, ok: true, result: result ?? null };
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    reply = { id: message.id, ok: false, error: { name: e.name, message: e.message, stack: e.stack } };
  }
  parentPort?.postMessage(reply);
});
parentPort?.postMessage({ ready: true });
