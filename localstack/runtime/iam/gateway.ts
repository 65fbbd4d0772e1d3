/**
 * The AWS API gateway: an HTTP server in front of the emulator that does what AWS's front
 * door does before a call reaches a service — who is calling (the SigV4 access key id, which
 * offline IS the role's name), which IAM actions on which resources the call needs, and
 * IAM's answer. Allowed calls pass through unchanged (bodies streamed); refused ones get the
 * service's own AccessDenied, so the SDK throws what it throws in AWS. Keys naming no role of
 * the template (the operator's `test`) pass unevaluated. MSK's control plane, which the
 * emulator lacks, is answered here for the clusters the runtime names.
 */
import { randomUUID } from "node:crypto";
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { LOCAL_ACCOUNT, localEndpoints } from "../../../core/config/index.ts";
import { resourcesOfType, type Template } from "../assembly.ts";
import { arnOf } from "../intrinsics.ts";
import { type ApiRequest, kafkaOperation, type MappedRequest, mapRequest, type Protocol } from "./actions.ts";
import { readPolicies, resolveContext } from "./policies.ts";
import { type AccessDecision, type AccessRequest, type Authorizer, LOCAL_SESSION_NAME } from "./types.ts";

export interface KafkaCluster {
  readonly arn: string;
  readonly bootstrapBrokerStringSaslIam: string;
}

export type GatewayDecision = AccessDecision &
  AccessRequest & {
    readonly service: string;
    readonly operation: string;
    readonly method: string;
    readonly path: string;
  };

export interface GatewayOptions {
  readonly authorizer: Authorizer;
  readonly template: Template;
  /** @default process.env.AWS_ENDPOINT_URL ?? "http://127.0.0.1:4566" */
  readonly emulatorUrl?: string;
  /** The MSK clusters the gateway answers GetBootstrapBrokers/DescribeClusterV2 for. */
  readonly clusters?: readonly KafkaCluster[];
  /** Every decision the gateway takes (allowed and denied). */
  readonly onDecision?: (decision: GatewayDecision) => void;
  /** @default 0 (any free port) */
  readonly port?: number;
  /** @default "127.0.0.1" */
  readonly host?: string;
}

export interface Gateway {
  readonly url: string;
  close(): Promise<void>;
}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const emulator = new URL(options.emulatorUrl ?? localEndpoints().awsEndpoint);
  const roles = new Map(
    [...readPolicies(options.template).roles.values()].map((r) => [r.roleName, r.roleArn]),
  );
  const clusters = new Map((options.clusters ?? []).map((c) => [c.arn, c]));
  const templateArn = secretArnsOf(options.template);

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { "content-type": "text/plain" });
        res.end(`offline AWS gateway: ${error instanceof Error ? error.message : String(error)}`);
      } else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const caller = callerOf(req);
    const roleArn = caller ? roles.get(caller.accessKeyId) : undefined;
    if (!caller || !roleArn) {
      // The operator's calls (and unsigned ones) are not the template's to judge.
      if (caller?.service === "kafka") return answerKafka(req, res);
      return forward(req, res, undefined);
    }
    const url = new URL(req.url ?? "/", "http://gateway");
    const needsBody = caller.service !== "s3" || (req.method === "POST" && url.searchParams.has("delete"));
    const body = needsBody ? await readBody(req) : undefined;
    const api: ApiRequest = {
      service: caller.service,
      region: caller.region,
      method: req.method ?? "GET",
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers as Record<string, string | undefined>,
      ...(body ? { body } : {}),
    };
    const mapped = mapRequest(api);
    if (!mapped) {
      const message = `the offline gateway cannot tell which IAM action this is: ${api.method} ${api.path}${url.search} (${caller.service}); it refuses what it cannot evaluate`;
      options.onDecision?.({
        allowed: false,
        explanation: message,
        principal: roleArn,
        action: `${caller.service}:?`,
        resource: "?",
        service: caller.service,
        operation: "?",
        method: api.method,
        path: api.path,
      });
      return deny(res, { protocol: protocolOf(caller.service), service: caller.service, message, api });
    }
    for (const access of mapped.access) {
      const request: AccessRequest = {
        principal: roleArn,
        action: access.action,
        resource: templateArn(access.resource),
        ...(access.context ? { context: access.context } : {}),
      };
      const decision = await options.authorizer.decide(request);
      options.onDecision?.({
        ...decision,
        ...request,
        service: caller.service,
        operation: mapped.operation,
        method: api.method,
        path: api.path,
      });
      if (!decision.allowed) {
        const message = deniedMessage(caller.accessKeyId, caller.service, request, decision);
        return deny(res, { protocol: mapped.protocol, service: caller.service, message, api, mapped });
      }
    }
    if (caller.service === "kafka") return answerKafka(req, res);
    return forward(req, res, body);
  }

  function answerKafka(req: IncomingMessage, res: ServerResponse): void {
    const op = kafkaOperation({
      method: req.method ?? "GET",
      path: new URL(req.url ?? "/", "http://x").pathname,
    });
    const cluster = op ? clusters.get(op.clusterArn) : undefined;
    if (!op || !cluster) {
      const message = op
        ? `Cluster ${op.clusterArn} does not exist (the offline gateway knows ${[...clusters.keys()].join(", ") || "no cluster"})`
        : `the offline gateway serves only GetBootstrapBrokers and DescribeClusterV2 of MSK, not ${req.method} ${req.url}`;
      sendJson(res, 404, { "x-amzn-errortype": "NotFoundException" }, { message });
      return;
    }
    if (op.operation === "GetBootstrapBrokers") {
      sendJson(res, 200, {}, { bootstrapBrokerStringSaslIam: cluster.bootstrapBrokerStringSaslIam });
      return;
    }
    const name = cluster.arn.split("/")[1] ?? cluster.arn;
    sendJson(
      res,
      200,
      {},
      {
        clusterInfo: {
          clusterArn: cluster.arn,
          clusterName: name,
          clusterType: "SERVERLESS",
          state: "ACTIVE",
          currentVersion: "K1",
          serverless: { clientAuthentication: { sasl: { iam: { enabled: true } } } },
        },
      },
    );
  }

  function forward(req: IncomingMessage, res: ServerResponse, body: Buffer | undefined): void {
    const upstream = httpRequest(
      {
        protocol: emulator.protocol,
        hostname: emulator.hostname,
        port: emulator.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", (error) => {
      if (res.headersSent) return void res.destroy(error);
      res.writeHead(502, { "content-type": "text/plain" });
      res.end(`offline AWS gateway: the emulator at ${emulator.origin} is unreachable (${error.message})`);
    });
    if (body) upstream.end(body);
    else req.pipe(upstream);
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${address.address}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * The emulator names a secret `<name>-<6 random characters>` in its ARN, as Secrets Manager
 * does; the template's local ARN (what its policies grant) has no suffix. A call naming the
 * emulator's ARN of a template secret is judged on the template's ARN.
 */
function secretArnsOf(template: Template): (resource: string) => string {
  const ctx = resolveContext(template);
  const known = new Set(
    resourcesOfType(template, "AWS::SecretsManager::Secret").map(([id]) => arnOf(ctx, id)),
  );
  return (resource) => {
    const unsuffixed = /^(arn:aws:secretsmanager:.+)-[A-Za-z0-9]{6}$/.exec(resource)?.[1];
    return unsuffixed && !known.has(resource) && known.has(unsuffixed) ? unsuffixed : resource;
  };
}

interface Caller {
  readonly accessKeyId: string;
  readonly region: string;
  readonly service: string;
}

/**
 * The caller: SigV4's credential scope (`<key>/<date>/<region>/<service>/aws4_request`, in the
 * Authorization header or a presigned URL's X-Amz-Credential), or S3's legacy SigV2
 * (`AWS <key>:<signature>`, or a presigned URL's AWSAccessKeyId, which the AWS CLI v1 still
 * writes) — SigV2 has no scope, and only S3 speaks it.
 */
function callerOf(req: IncomingMessage): Caller | undefined {
  const header = req.headers.authorization ?? "";
  const query = new URL(req.url ?? "/", "http://x").searchParams;
  const credential = /Credential=([^,\s]+)/.exec(header)?.[1] ?? query.get("X-Amz-Credential");
  if (credential) {
    const [accessKeyId, , region, service] = decodeURIComponent(credential).split("/");
    if (!accessKeyId || !region || !service) return undefined;
    return { accessKeyId, region, service };
  }
  const sigV2Key = /^AWS ([^:\s]+):/.exec(header)?.[1] ?? query.get("AWSAccessKeyId");
  if (sigV2Key)
    return { accessKeyId: sigV2Key, region: process.env.AWS_REGION ?? "us-east-1", service: "s3" };
  return undefined;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** AWS's words: "User: <session> is not authorized to perform: <action> on resource: <arn> because …". */
export function deniedMessage(
  roleName: string,
  service: string,
  request: AccessRequest,
  decision: AccessDecision,
): string {
  // SNS writes its actions with an upper-case prefix; S3 quotes the resource.
  const action = service === "sns" ? request.action.replace(/^sns:/, "SNS:") : request.action;
  const resource = service === "s3" ? `"${request.resource}"` : request.resource;
  const because =
    decision.denial === "resource-deny"
      ? "with an explicit deny in a resource-based policy"
      : decision.denial === "identity-deny"
        ? "with an explicit deny in an identity-based policy"
        : `because no identity-based policy allows the ${action} action`;
  return `User: arn:aws:sts::${LOCAL_ACCOUNT}:assumed-role/${roleName}/${LOCAL_SESSION_NAME} is not authorized to perform: ${action} on resource: ${resource} ${because}`;
}

function protocolOf(service: string): Protocol {
  if (service === "s3") return "s3";
  if (service === "sns") return "query";
  if (service === "lambda" || service === "kafka") return "rest-json";
  return "json";
}

/** The refusal as the service writes it, so the SDK (and the CLI) raise their AccessDenied. */
function deny(
  res: ServerResponse,
  refusal: { protocol: Protocol; service: string; message: string; api: ApiRequest; mapped?: MappedRequest },
): void {
  const requestId = randomUUID();
  const { protocol, service, message, api } = refusal;
  switch (protocol) {
    case "s3": {
      const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>${xml(message)}</Message><RequestId>${requestId}</RequestId><HostId>${requestId}</HostId></Error>`;
      res.writeHead(403, { "content-type": "application/xml", "x-amz-request-id": requestId });
      // A HEAD answer has no body: the SDK names the error from the status (403 → Forbidden).
      res.end(api.method === "HEAD" ? undefined : body);
      return;
    }
    case "query": {
      const sns = service === "sns";
      const code = sns ? "AuthorizationError" : "AccessDenied";
      const namespace = sns
        ? "http://sns.amazonaws.com/doc/2010-03-31/"
        : "http://queue.amazonaws.com/doc/2012-11-05/";
      const body = `<ErrorResponse xmlns="${namespace}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${xml(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
      res.writeHead(403, { "content-type": "text/xml", "x-amzn-requestid": requestId });
      res.end(body);
      return;
    }
    case "json": {
      const contentType = api.headers["content-type"] ?? "application/x-amz-json-1.0";
      const headers: Record<string, string> = {
        "content-type": contentType,
        "x-amzn-errortype": "AccessDeniedException",
        "x-amzn-requestid": requestId,
      };
      // SQS speaks JSON with its query-era error codes: the SDK names the error from this header.
      if (service === "sqs") headers["x-amzn-query-error"] = "AccessDenied;Sender";
      sendJson(res, 400, headers, {
        __type: "com.amazon.coral.service#AccessDeniedException",
        message,
      });
      return;
    }
    case "rest-json":
      sendJson(
        res,
        403,
        { "x-amzn-errortype": "AccessDeniedException", "x-amzn-requestid": requestId },
        { Type: "User", message },
      );
  }
}

function sendJson(res: ServerResponse, status: number, headers: Record<string, string>, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

function xml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
