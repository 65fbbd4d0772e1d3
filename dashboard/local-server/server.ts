/**
 * The dashboard offline: an HTTP server serving the built page (dashboard/dist) and sending
 * `/api/*` to the dashboard-api function through an invoker — offline, the local runtime's
 * function host (`localstack/runtime/dashboard-api.ts`): the same handler, with the same
 * environment, that CloudFront reaches through the function URL in AWS.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, resolve, sep } from "node:path";
import { PipelineError } from "../../core/errors.ts";
import type { FunctionUrlResult } from "../api/types.ts";
import { buildDashboard } from "../build.ts";
import { functionUrlEvent } from "./function-url.ts";

export type ApiInvoker = (event: unknown) => Promise<FunctionUrlResult>;

export interface DashboardServerOptions {
  readonly invoke: ApiInvoker;
  /** @default DASHBOARD_PORT or 3000; 0 picks a free port */
  readonly port?: number;
  /** @default 127.0.0.1 (the dashboard is for this machine) */
  readonly host?: string;
}

export interface DashboardServer {
  readonly url: string;
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json",
  ".json": "application/json",
};

export async function startDashboardServer(options: DashboardServerOptions): Promise<DashboardServer> {
  const dist = buildDashboard();
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? "/", "http://localhost").pathname;
    const handle = path === "/api" || path.startsWith("/api/") ? proxyToFunction : serveFile;
    handle(request, response, path).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(502, { "content-type": "application/json" });
      response.end(JSON.stringify({ error: `dashboard-api failed: ${(error as Error).message}` }));
    });
  });

  async function proxyToFunction(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const result = await options.invoke(functionUrlEvent(request, Buffer.concat(chunks)));
    const body = result.isBase64Encoded ? Buffer.from(result.body ?? "", "base64") : (result.body ?? "");
    response.writeHead(result.statusCode ?? 200, result.headers ?? {});
    response.end(request.method === "HEAD" ? undefined : body);
  }

  async function serveFile(_request: IncomingMessage, response: ServerResponse, path: string): Promise<void> {
    const file = resolve(dist, `.${path === "/" ? "/index.html" : decodeURIComponent(path)}`);
    if (!file.startsWith(dist + sep) || !existsSync(file)) {
      response.writeHead(404, { "content-type": "text/plain" });
      response.end("not found");
      return;
    }
    response.writeHead(200, {
      "content-type": CONTENT_TYPES[extname(file)] ?? "application/octet-stream",
      "cache-control": "no-cache",
    });
    response.end(readFileSync(file));
  }

  const port = options.port ?? Number(process.env.DASHBOARD_PORT ?? 3000);
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((ready, fail) => {
    server.once("error", fail);
    server.listen(port, host, () => ready());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}/`,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        // Keep-alive connections of a browser would hold close() open.
        server.closeAllConnections();
      }),
  };
}

export class DashboardPortInUseError extends PipelineError {
  constructor(port: number, cause: unknown) {
    super(`port ${port} is in use: set DASHBOARD_PORT or pass --port`, { cause });
  }
}

/**
 * The server for a dashboard-api invoker, its URL recorded in the runtime's state dir so
 * `pipeline dashboard` finds and reuses it; closing it forgets the URL.
 */
export async function serveDashboard(
  invoke: ApiInvoker,
  stateDir: string,
  port = Number(process.env.DASHBOARD_PORT ?? 3000),
): Promise<DashboardServer> {
  const server = await startDashboardServer({ invoke, port }).catch((error: NodeJS.ErrnoException) => {
    throw error.code === "EADDRINUSE" ? new DashboardPortInUseError(port, error) : error;
  });
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(urlFile(stateDir), server.url);
  return {
    url: server.url,
    async close() {
      rmSync(urlFile(stateDir), { force: true });
      await server.close();
    },
  };
}

/** Where a running server leaves its URL. */
const urlFile = (stateDir: string) => join(stateDir, "dashboard.url");

/** The URL of a dashboard server that answers, or undefined. */
export async function runningDashboardUrl(stateDir: string): Promise<string | undefined> {
  if (!existsSync(urlFile(stateDir))) return undefined;
  const url = readFileSync(urlFile(stateDir), "utf8").trim();
  try {
    const answer = await fetch(new URL("api/health", url), { signal: AbortSignal.timeout(2000) });
    return answer.ok ? url : undefined;
  } catch {
    return undefined;
  }
}
