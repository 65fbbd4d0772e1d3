/**
 * STS for the roles' sessions, answered by the gateway itself: moto would name its own user,
 * not the caller. What a function can ask STS with its execution role's session credentials,
 * and what AWS answers:
 * - `GetCallerIdentity` needs no permission (an explicit deny does not block it either): the
 *   session's `arn:aws:sts::<account>:assumed-role/<role>/<session>`, its `UserId`
 *   (`<role's unique id AROA…>:<session>`) and the account.
 * - `GetSessionToken` and `GetFederationToken` are refused to session credentials, whatever
 *   IAM says (AccessDenied, "Cannot call … with session credentials").
 * - `AssumeRole` (role chaining) needs `sts:AssumeRole` on the role in the caller's policies
 *   and the role's trust policy to trust the caller; then the session gets credentials as the
 *   runtime issues them (at most an hour, as AWS caps a chained session).
 * - Any other action is judged as `sts:<Action>` on `*`; one IAM allows is refused, since the
 *   gateway cannot answer it (none of the template's roles is granted one).
 * Both of STS's protocols: the Query protocol (form `Action=…`, XML answers: what the SDK v3,
 * boto3 and the AWS CLI send) and JSON 1.0 (`X-Amz-Target: AWSSecurityTokenServiceV20110615.…`,
 * what the SDK v3 sends when configured with that protocol).
 */
import { createHash } from "node:crypto";
import { LOCAL_ACCOUNT } from "../../../core/config/index.ts";
import type { ApiRequest } from "./actions.ts";

export const STS_XML_NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/";
const JSON_TARGET_PREFIX = "AWSSecurityTokenServiceV20110615.";

/** STS's operations (API version 2011-06-15). */
const OPERATIONS = new Set([
  "AssumeRole",
  "AssumeRoleWithSAML",
  "AssumeRoleWithWebIdentity",
  "AssumeRoot",
  "DecodeAuthorizationMessage",
  "GetAccessKeyInfo",
  "GetCallerIdentity",
  "GetDelegatedAccessToken",
  "GetFederationToken",
  "GetSessionToken",
  "GetWebIdentityToken",
]);

/** Refused to session credentials before any policy is read. */
export const LONG_TERM_KEY_ONLY = new Set(["GetSessionToken", "GetFederationToken"]);

/** A chained role session lasts at most an hour (AssumeRole with a role session's credentials). */
export const MAX_CHAINED_SESSION_SECONDS = 3600;

export interface StsCall {
  readonly operation: string;
  readonly protocol: "query" | "json";
  /** A request parameter (`RoleArn`, `RoleSessionName`, `DurationSeconds`…). */
  param(name: string): string | undefined;
  /** Whether the operation is one STS has (an unknown one is STS's `InvalidAction`). */
  readonly known: boolean;
}

/** The STS operation of a request and its parameters, in either protocol; undefined when it names none. */
export function stsCall(request: ApiRequest): StsCall | undefined {
  const target = request.headers["x-amz-target"];
  if (target) {
    if (!target.startsWith(JSON_TARGET_PREFIX)) return undefined;
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(request.body?.toString("utf8") || "{}") as Record<string, unknown>;
    } catch {
      return undefined;
    }
    const operation = target.slice(JSON_TARGET_PREFIX.length);
    return {
      operation,
      protocol: "json",
      known: OPERATIONS.has(operation),
      param: (name) => {
        const value = body[name];
        return value === undefined || value === null
          ? undefined
          : typeof value === "string"
            ? value
            : JSON.stringify(value);
      },
    };
  }
  const form = new URLSearchParams(request.body?.toString("utf8") ?? "");
  for (const [k, v] of request.query) if (!form.has(k)) form.set(k, v);
  const operation = form.get("Action");
  if (!operation) return undefined;
  return {
    operation,
    protocol: "query",
    known: OPERATIONS.has(operation),
    param: (name) => {
      if (form.has(name)) return form.get(name) ?? undefined;
      // Query lists (PolicyArns.member.1.arn, Tags.member.1.Key): present when any member is.
      for (const key of form.keys()) if (key.startsWith(`${name}.`)) return form.get(key) ?? "";
      return undefined;
    },
  };
}

/**
 * A role's unique id as IAM writes one — `AROA` and 17 characters — stable for a role ARN
 * (in AWS it lasts as long as the role; here as long as its name).
 */
export function roleUniqueId(roleArn: string): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const digest = createHash("sha256").update(roleArn).digest();
  return `AROA${[...digest.subarray(0, 17)].map((b) => alphabet[b % 32]).join("")}`;
}

export interface SessionOfRole {
  readonly roleArn: string;
  readonly sessionName: string;
  readonly assumedRoleArn: string;
}

/** GetCallerIdentity's answer for a role's session. */
export function callerIdentity(session: SessionOfRole): Record<string, string> {
  return {
    UserId: `${roleUniqueId(session.roleArn)}:${session.sessionName}`,
    Account: LOCAL_ACCOUNT,
    Arn: session.assumedRoleArn,
  };
}

type Value = string | number | Date | { readonly [member: string]: Value };

/** An STS answer in the protocol of the request: `<OpResponse><OpResult>…` or JSON. */
export function stsAnswer(
  call: Pick<StsCall, "operation" | "protocol">,
  result: Record<string, Value>,
  requestId: string,
): { contentType: string; body: string } {
  if (call.protocol === "json") {
    const json = (value: Value): unknown =>
      value instanceof Date
        ? value.getTime() / 1000
        : typeof value === "object"
          ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, json(v)]))
          : value;
    return { contentType: "application/x-amz-json-1.0", body: JSON.stringify(json(result)) };
  }
  const xml = (value: Value): string =>
    value instanceof Date
      ? value.toISOString().replace(/\.\d{3}Z$/, "Z")
      : typeof value === "object"
        ? Object.entries(value)
            .map(([k, v]) => `<${k}>${xml(v)}</${k}>`)
            .join("")
        : escapeXml(String(value));
  const op = call.operation;
  return {
    contentType: "text/xml",
    body: `<${op}Response xmlns="${STS_XML_NAMESPACE}"><${op}Result>${xml(result)}</${op}Result><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${op}Response>`,
  };
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
