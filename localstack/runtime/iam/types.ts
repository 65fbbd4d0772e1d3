/**
 * The contract between the parts of offline IAM enforcement: the evaluator (which reads the
 * template's roles and resource policies and asks a real IAM policy evaluator), the AWS API
 * gateway in front of the emulator, the Kafka ACLs, and the runtime's own calls on behalf of
 * a role (state machine tasks, schedules, S3 notifications, event source mappings).
 */

/** One call to decide, in IAM's terms. */
export interface AccessRequest {
  /** A role ARN (`arn:aws:iam::000000000000:role/<name>`) or a service principal (`s3.amazonaws.com`). */
  readonly principal: string;
  /** `service:Action`, e.g. `s3:PutObject`, `kafka-cluster:WriteData`. */
  readonly action: string;
  /** The resource ARN the action acts on (`*` for actions without a resource type). */
  readonly resource: string;
  /** Request context keys (`aws:SecureTransport`, `aws:SourceArn`, `s3:prefix`, …). */
  readonly context?: Readonly<Record<string, string | readonly string[]>>;
}

export interface AccessDecision {
  readonly allowed: boolean;
  /** One line naming why: the deciding statement, or that no statement allows it. */
  readonly explanation: string;
  /**
   * For a denial, what denied it, as AWS words it: no statement allows it, or an explicit
   * deny in an identity-based or a resource-based policy.
   */
  readonly denial?: "no-allow" | "identity-deny" | "resource-deny";
}

export interface Authorizer {
  /** The decision IAM would take for the request, from the template's policies. */
  decide(request: AccessRequest): Promise<AccessDecision>;
  /** Whether the role's trust policy lets `principal` (a service or a role) assume it. */
  roleTrusts?(principal: string, roleArn: string): Promise<AccessDecision>;
}

/**
 * The session name of a role's calls offline when no better one is known, as in
 * `arn:aws:sts::…:assumed-role/<role>/<session>` (a sandbox's session is its function's name;
 * the credentials of each session are issued by credentials.ts, and Kafka's principal is
 * `User:<role name>`).
 */
export const LOCAL_SESSION_NAME = "local-runtime";

/** An IAM policy statement as a template writes it (Action, Resource, Principal, Condition…). */
export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: "Allow" | "Deny";
  readonly [element: string]: unknown;
}

export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: readonly PolicyStatement[];
}
