/**
 * The AWS API gateway: an HTTP server in front of the emulator that does what AWS's front
 * door does before a call reaches a service — who is calling (the SigV4 signature, verified
 * against the temporary credentials the runtime issued to the role's session: sigv4.ts,
 * credentials.ts), which IAM actions on which resources the call needs, and IAM's answer.
 * Allowed calls pass through unchanged (bodies streamed, S3's payload hash and chunk
 * signatures checked as they pass); refused ones get the service's own error
 * (InvalidAccessKeyId/UnrecognizedClientException, SignatureDoesNotMatch, ExpiredToken,
 * AccessDenied), so the SDK throws what it throws in AWS. The operator's own key (the
 * developer's `test`, explicit in the credential store) is verified too and then passes
 * unevaluated. MSK's control plane, which the emulator lacks, is answered here for the
 * clusters the runtime names, and STS for the roles' sessions (sts.ts: GetCallerIdentity
 * names the session, AssumeRole is judged and issues a chained session).
 */
import { randomUUID } from "node:crypto";
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { LOCAL_ACCOUNT, localEndpoints } from "../../../core/config/index.ts";
import { readGatewaySecret } from "../../services/aws-emulator/aws-emulator.ts";
import { resourcesOfType, type Template } from "../assembly.ts";
import { arnOf } from "../intrinsics.ts";
import { type ApiRequest, kafkaOperation, mapRequest, type Protocol } from "./actions.ts";
import type { CredentialStore, Identity } from "./credentials.ts";
import { resolveContext } from "./policies.ts";
import {
  ChunkSignatureCheck,
  credentialScope,
  PayloadHashCheck,
  SignatureFailure,
  type SignatureFailureKind,
  type VerifiedRequest,
  verifySignature,
} from "./sigv4.ts";
import {
  callerIdentity,
  LONG_TERM_KEY_ONLY,
  MAX_CHAINED_SESSION_SECONDS,
  STS_XML_NAMESPACE,
  stsAnswer,
  stsCall,
} from "./sts.ts";
import { type AccessDecision, type AccessRequest, type Authorizer, LOCAL_SESSION_NAME } from "./types.ts";

/** The header that tells the emulator a request comes through the gateway (serve.py GATEWAY_HEADER). */
export const GATEWAY_HEADER = "x-pipeline-gateway";

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

/** A request the gateway refused because its credentials or signature do not hold. */
export interface AuthenticationRefusal {
  readonly service: string;
  readonly method: string;
  readonly path: string;
  readonly kind: SignatureFailureKind;
  /** Why, in a line that names no secret. */
  readonly reason: string;
}

export interface GatewayOptions {
  readonly authorizer: Authorizer;
  readonly template: Template;
  /** The credentials the runtime issued (and the operator's key): who may call at all. */
  readonly credentials: CredentialStore;
  /** @default process.env.AWS_ENDPOINT_URL ?? "http://127.0.0.1:4566" */
  readonly emulatorUrl?: string;
  /**
   * The services set's gateway secret, sent with every forwarded request: the emulator's port
   * serves only the gateway and the operator (serve.py). @default the secret of the set
   * PIPELINE_SERVICES_DIR names (none for an emulator without one, such as LocalStack)
   */
  readonly emulatorSecret?: () => string | undefined;
  /** The MSK clusters the gateway answers GetBootstrapBrokers/DescribeClusterV2 for. */
  readonly clusters?: readonly KafkaCluster[];
  /** Every decision the gateway takes (allowed and denied). */
  readonly onDecision?: (decision: GatewayDecision) => void;
  /** Every request refused before IAM: unsigned, unknown key, bad signature, expired token… */
  readonly onRefused?: (refusal: AuthenticationRefusal) => void;
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
  const clusters = new Map((options.clusters ?? []).map((c) => [c.arn, c]));
  const templateArn = secretArnsOf(options.template);
  // Read again at most once a second: a set whose state dir was made anew has a new secret.
  let secret: { value: string | undefined; at: number } | undefined;
  const emulatorSecret = () => {
    const now = Date.now();
    if (!secret || now - secret.at > 1000)
      secret = { value: (options.emulatorSecret ?? readGatewaySecret)(), at: now };
    return secret.value;
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { "content-type": "text/plain" });
        res.end(`offline AWS gateway: ${error instanceof Error ? error.message : String(error)}`);
      } else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://gateway");
    const scope = credentialScope({ url: req.url ?? "/", headers: req.headers });
    const service = scope?.service ?? serviceOf(req);
    const s3 = service === "s3";
    const needsBody = !s3 || (req.method === "POST" && url.searchParams.has("delete"));
    const body = needsBody ? await readBody(req) : undefined;
    const api: ApiRequest = {
      service,
      region: scope?.region ?? "us-east-1",
      method: req.method ?? "GET",
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers as Record<string, string | undefined>,
      ...(body ? { body } : {}),
    };
    let caller: VerifiedRequest;
    try {
      caller = await verifySignature(
        { method: api.method, url: req.url ?? "/", headers: req.headers, ...(body && !s3 ? { body } : {}) },
        { lookup: (key) => options.credentials.lookup(key), now: options.credentials.now },
      );
    } catch (error) {
      if (!(error instanceof SignatureFailure)) throw error;
      options.onRefused?.({
        service,
        method: api.method,
        path: api.path,
        kind: error.kind,
        reason: error.message,
      });
      return refuse(res, { protocol: protocolOf(service, req), service, api, ...authError(error, service) });
    }
    const { identity } = caller;
    if (identity.kind === "operator") {
      // The developer's own (admin) calls are not the template's to judge.
      if (service === "kafka") return answerKafka(req, res);
      return forward(req, res, body, caller, api);
    }
    const roleArn = identity.roleArn;
    const mapped = mapRequest(api);
    if (!mapped) {
      const message = `the offline gateway cannot tell which IAM action this is: ${api.method} ${api.path}${url.search} (${service}); it refuses what it cannot evaluate`;
      options.onDecision?.({
        allowed: false,
        explanation: message,
        principal: roleArn,
        action: `${service}:?`,
        resource: "?",
        service,
        operation: "?",
        method: api.method,
        path: api.path,
      });
      return refuse(res, {
        protocol: protocolOf(service, req),
        service,
        api,
        ...accessDenied(service, message),
      });
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
        service,
        operation: mapped.operation,
        method: api.method,
        path: api.path,
      });
      if (!decision.allowed) {
        const message = deniedMessage(identity.roleName, service, request, decision, identity.sessionName);
        return refuse(res, { protocol: mapped.protocol, service, api, ...accessDenied(service, message) });
      }
    }
    if (service === "kafka") return answerKafka(req, res);
    if (service === "sts") return answerSts(res, api, identity, mapped.operation);
    return forward(req, res, body, caller, api);
  }

  /**
   * STS for a role's session (sts.ts): moto's STS would answer as its own user. IAM has
   * judged the call already (GetCallerIdentity needs nothing); what is left is STS's own.
   */
  async function answerSts(
    res: ServerResponse,
    api: ApiRequest,
    identity: Identity & { kind: "role" },
    operation: string,
  ): Promise<void> {
    const call = stsCall(api);
    if (!call) throw new Error("an STS call the mapping named has no operation");
    const requestId = randomUUID();
    const answer = (result: Parameters<typeof stsAnswer>[1]) => {
      const { contentType, body } = stsAnswer(call, result, requestId);
      res.writeHead(200, { "content-type": contentType, "x-amzn-requestid": requestId });
      res.end(body);
    };
    const refuseSts = (status: number, code: string, message: string) =>
      refuse(res, { protocol: call.protocol, service: "sts", api, status, code, jsonCode: code, message });
    if (operation === "GetCallerIdentity") return answer(callerIdentity(identity));
    if (LONG_TERM_KEY_ONLY.has(operation))
      return refuseSts(403, "AccessDenied", `Cannot call ${operation} with session credentials`);
    if (operation !== "AssumeRole")
      return refuseSts(
        403,
        "AccessDenied",
        `the offline gateway answers only GetCallerIdentity and AssumeRole of STS, not ${operation} (IAM allowed it: AWS would have answered)`,
      );
    const roleArn = call.param("RoleArn") as string;
    const sessionName = call.param("RoleSessionName");
    const duration = Number(call.param("DurationSeconds") ?? MAX_CHAINED_SESSION_SECONDS);
    if (!sessionName || !/^[\w+=,.@-]{2,64}$/.test(sessionName))
      return refuseSts(
        400,
        "ValidationError",
        `1 validation error detected: Value '${sessionName ?? "null"}' at 'roleSessionName' failed to satisfy constraint: Member must have length between 2 and 64 and match [\\w+=,.@-]*`,
      );
    if (!Number.isInteger(duration) || duration < 900)
      return refuseSts(
        400,
        "ValidationError",
        `1 validation error detected: Value '${call.param("DurationSeconds")}' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900`,
      );
    if (duration > MAX_CHAINED_SESSION_SECONDS)
      return refuseSts(
        400,
        "ValidationError",
        "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
      );
    const trusts = options.authorizer.roleTrusts
      ? await options.authorizer.roleTrusts(identity.roleArn, roleArn)
      : { allowed: false, explanation: "no trust policy to read" };
    if (!trusts.allowed) {
      const request: AccessRequest = {
        principal: identity.roleArn,
        action: "sts:AssumeRole",
        resource: roleArn,
      };
      options.onDecision?.({
        ...trusts,
        ...request,
        service: "sts",
        operation,
        method: api.method,
        path: api.path,
      });
      return refuseSts(
        403,
        "AccessDenied",
        `User: ${identity.assumedRoleArn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
      );
    }
    // A session policy would narrow the session: the offline evaluator could not apply it.
    if (call.param("Policy") !== undefined || call.param("PolicyArns") !== undefined)
      return refuseSts(
        403,
        "AccessDenied",
        "the offline gateway cannot apply session policies (Policy, PolicyArns) to an assumed role's session",
      );
    const issued = options.credentials.issue(roleArn, { sessionName, durationSeconds: duration });
    const session = options.credentials.lookup(issued.accessKeyId);
    if (session?.kind !== "role") throw new Error("the credential store lost the session it issued");
    const { UserId } = callerIdentity(session);
    return answer({
      Credentials: {
        AccessKeyId: issued.accessKeyId,
        SecretAccessKey: issued.secretAccessKey,
        SessionToken: issued.sessionToken,
        Expiration: issued.expiration,
      },
      AssumedRoleUser: { AssumedRoleId: UserId as string, Arn: session.assumedRoleArn },
    });
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

  /**
   * Sends the call on to the emulator. An S3 body streams through the check its signature
   * asks for (payload hash, chunk signatures); a body that fails it never completes upstream,
   * and the caller gets S3's error instead of the emulator's answer.
   */
  async function forward(
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer | undefined,
    caller: VerifiedRequest,
    api: ApiRequest,
  ): Promise<void> {
    // A caller's own gateway header is dropped: only the gateway vouches for a request.
    const { [GATEWAY_HEADER]: _claimed, ...headers } = req.headers;
    const vouch = emulatorSecret();
    const upstream = httpRequest({
      protocol: emulator.protocol,
      hostname: emulator.hostname,
      port: emulator.port,
      method: req.method,
      path: req.url,
      headers: vouch ? { ...headers, [GATEWAY_HEADER]: vouch } : headers,
    });
    const answered = new Promise<void>((resolve, reject) => {
      // The emulator gone after the request was sent (stopped mid-call): the caller gets the 502
      // below, as a reset connection fails an SDK call in AWS, instead of waiting forever.
      upstream.once("error", reject);
      upstream.once("response", (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        pipeline(answer, res).then(resolve, reject);
      });
    });
    // Awaited only once the body is sent: an error while sending is the pipeline's to report.
    answered.catch(() => undefined);
    const payload = caller.payload;
    const check =
      payload?.kind === "signed-hash"
        ? new PayloadHashCheck(payload.sha256)
        : payload?.kind === "streaming-signed"
          ? new ChunkSignatureCheck(payload.check, payload.trailer)
          : undefined;
    const source = body ? Readable.from([body]) : req;
    try {
      await (check ? pipeline(source, check, upstream) : pipeline(source, upstream));
      await answered;
    } catch (error) {
      upstream.destroy();
      if (error instanceof SignatureFailure && !res.headersSent) {
        options.onRefused?.({
          service: api.service,
          method: api.method,
          path: api.path,
          kind: error.kind,
          reason: error.message,
        });
        req.resume();
        return refuse(res, { protocol: "s3", service: api.service, api, ...authError(error, api.service) });
      }
      if (res.headersSent) return void res.destroy(error as Error);
      res.writeHead(502, { "content-type": "text/plain" });
      res.end(
        `offline AWS gateway: the emulator at ${emulator.origin} is unreachable (${(error as Error).message})`,
      );
    }
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

/** The service of an unsigned request (no credential scope names it), for the error's protocol. */
function serviceOf(req: IncomingMessage): string {
  const target = String(req.headers["x-amz-target"] ?? "");
  if (target.startsWith("DynamoDB")) return "dynamodb";
  if (target.startsWith("secretsmanager")) return "secretsmanager";
  if (target.startsWith("AmazonSQS")) return "sqs";
  if (target.startsWith("AWSStepFunctions")) return "states";
  if (String(req.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded")) return "sns";
  return "s3";
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
  sessionName: string = LOCAL_SESSION_NAME,
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
  return `User: arn:aws:sts::${LOCAL_ACCOUNT}:assumed-role/${roleName}/${sessionName} is not authorized to perform: ${action} on resource: ${resource} ${because}`;
}

function protocolOf(service: string, req: IncomingMessage): Protocol {
  if (service === "s3") return "s3";
  if (service === "sns") return "query";
  if (String(req.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded"))
    return "query";
  if (service === "lambda" || service === "kafka") return "rest-json";
  return "json";
}

/** A refusal's code, HTTP status and message, in the service's words. */
interface Refusal {
  readonly status: number;
  /** S3's and the query protocol's `<Code>`. */
  readonly code: string;
  /** The JSON protocols' exception name (`__type`, x-amzn-errortype). */
  readonly jsonCode: string;
  readonly message: string;
}

function accessDenied(service: string, message: string): Refusal {
  return {
    status: 403,
    code: service === "sns" ? "AuthorizationError" : "AccessDenied",
    jsonCode: "AccessDeniedException",
    message,
  };
}

const INVALID_TOKEN = "The security token included in the request is invalid.";
const SIGNATURE_MESSAGE =
  "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

/**
 * What AWS answers for each authentication failure: S3 with its own codes (403
 * InvalidAccessKeyId, SignatureDoesNotMatch; 400 ExpiredToken, InvalidToken), the query
 * services (SNS, SQS) with InvalidClientTokenId/SignatureDoesNotMatch/ExpiredToken, the JSON
 * services (DynamoDB, Secrets Manager, Step Functions, Lambda, MSK) with
 * UnrecognizedClientException/InvalidSignatureException/ExpiredTokenException.
 */
const AUTH_ERRORS: Record<
  SignatureFailureKind,
  { s3: [number, string, string]; query: [number, string, string]; json: [number, string, string] }
> = {
  missing: {
    s3: [403, "AccessDenied", "Access Denied"],
    query: [403, "MissingAuthenticationToken", "Request is missing Authentication Token"],
    json: [400, "MissingAuthenticationTokenException", "Missing Authentication Token"],
  },
  malformed: {
    s3: [400, "AuthorizationHeaderMalformed", "The authorization header is malformed"],
    query: [400, "IncompleteSignature", "The request signature does not conform to AWS standards."],
    json: [400, "IncompleteSignatureException", "The request signature does not conform to AWS standards."],
  },
  unsupported: {
    s3: [
      400,
      "InvalidRequest",
      "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.",
    ],
    query: [400, "IncompleteSignature", "The request signature does not conform to AWS standards."],
    json: [400, "IncompleteSignatureException", "The request signature does not conform to AWS standards."],
  },
  "unknown-key": {
    s3: [403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."],
    query: [403, "InvalidClientTokenId", INVALID_TOKEN],
    json: [400, "UnrecognizedClientException", INVALID_TOKEN],
  },
  "bad-token": {
    s3: [400, "InvalidToken", "The provided token is malformed or otherwise invalid."],
    query: [403, "InvalidClientTokenId", INVALID_TOKEN],
    json: [400, "UnrecognizedClientException", INVALID_TOKEN],
  },
  expired: {
    s3: [400, "ExpiredToken", "The provided token has expired."],
    query: [403, "ExpiredToken", "The security token included in the request is expired"],
    json: [400, "ExpiredTokenException", "The security token included in the request is expired"],
  },
  "presign-expired": {
    s3: [403, "AccessDenied", "Request has expired"],
    query: [403, "SignatureDoesNotMatch", "Signature expired"],
    json: [400, "InvalidSignatureException", "Signature expired"],
  },
  skew: {
    s3: [
      403,
      "RequestTimeTooSkewed",
      "The difference between the request time and the current time is too large.",
    ],
    query: [
      403,
      "SignatureDoesNotMatch",
      "Signature expired: the request is dated more than 15 minutes from now",
    ],
    json: [
      400,
      "InvalidSignatureException",
      "Signature expired: the request is dated more than 15 minutes from now",
    ],
  },
  signature: {
    s3: [
      403,
      "SignatureDoesNotMatch",
      "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
    ],
    query: [403, "SignatureDoesNotMatch", SIGNATURE_MESSAGE],
    json: [400, "InvalidSignatureException", SIGNATURE_MESSAGE],
  },
  "payload-hash-missing": {
    s3: [400, "InvalidRequest", "Missing required header for this request: x-amz-content-sha256"],
    query: [400, "IncompleteSignature", "The request signature does not conform to AWS standards."],
    json: [400, "IncompleteSignatureException", "The request signature does not conform to AWS standards."],
  },
  "payload-hash": {
    s3: [
      400,
      "XAmzContentSHA256Mismatch",
      "The provided 'x-amz-content-sha256' header does not match what was computed.",
    ],
    query: [403, "SignatureDoesNotMatch", SIGNATURE_MESSAGE],
    json: [400, "InvalidSignatureException", SIGNATURE_MESSAGE],
  },
};

function authError(failure: SignatureFailure, service: string): Refusal {
  const errors = AUTH_ERRORS[failure.kind];
  const family =
    service === "s3" ? "s3" : service === "sns" || service === "sqs" || service === "sts" ? "query" : "json";
  const [status, code, message] = errors[family];
  const json = errors.json;
  // Lambda's and MSK's REST APIs answer authentication failures with 403.
  const restStatus = service === "lambda" || service === "kafka" ? 403 : status;
  return {
    status: family === "json" ? restStatus : status,
    code,
    jsonCode: family === "json" ? code : json[1],
    message,
  };
}

/** The refusal as the service writes it, so the SDK (and the CLI) raise the error AWS raises. */
function refuse(
  res: ServerResponse,
  refusal: Refusal & { protocol: Protocol; service: string; api: ApiRequest },
): void {
  const requestId = randomUUID();
  const { protocol, service, message, api, status, code, jsonCode } = refusal;
  switch (protocol) {
    case "s3": {
      const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xml(message)}</Message><RequestId>${requestId}</RequestId><HostId>${requestId}</HostId></Error>`;
      res.writeHead(status, { "content-type": "application/xml", "x-amz-request-id": requestId });
      // A HEAD answer has no body: the SDK names the error from the status (403 → Forbidden).
      res.end(api.method === "HEAD" ? undefined : body);
      return;
    }
    case "query": {
      const namespace =
        service === "sns"
          ? "http://sns.amazonaws.com/doc/2010-03-31/"
          : service === "sts"
            ? STS_XML_NAMESPACE
            : "http://queue.amazonaws.com/doc/2012-11-05/";
      const body = `<ErrorResponse xmlns="${namespace}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${xml(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
      res.writeHead(status, { "content-type": "text/xml", "x-amzn-requestid": requestId });
      res.end(body);
      return;
    }
    case "json": {
      const contentType = api.headers["content-type"] ?? "application/x-amz-json-1.0";
      const headers: Record<string, string> = {
        "content-type": contentType,
        "x-amzn-errortype": jsonCode,
        "x-amzn-requestid": requestId,
      };
      // SQS speaks JSON with its query-era error codes: the SDK names the error from this header.
      if (service === "sqs" || service === "sts") headers["x-amzn-query-error"] = `${code};Sender`;
      // JSON services answer AccessDenied with 400.
      sendJson(res, code === "AccessDenied" && service !== "sts" ? 400 : status, headers, {
        __type: `com.amazon.coral.service#${jsonCode}`,
        message,
      });
      return;
    }
    case "rest-json":
      sendJson(
        res,
        status,
        { "x-amzn-errortype": jsonCode, "x-amzn-requestid": requestId },
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
