/**
 * Who the runtime's work acts as, and what IAM lets it do. Offline as in AWS, every call is
 * made by a role of the template: a function's sandbox and the runtime's reads on its behalf
 * (event source mappings, on-failure destinations) as the function's execution role, the
 * state machine's tasks as its role, the dbt container as the task role, schedules as the
 * scheduler's role, S3 notifications as the s3.amazonaws.com service principal. Calls that go
 * over the AWS API pass through the IAM gateway (iam/gateway.ts) with the role's credentials;
 * what the runtime does itself (invoking a function, running the ECS task) it asks the
 * authorizer first. `PIPELINE_IAM=off` switches enforcement off, for debugging only.
 */
import type { AwsCredentialIdentity } from "@smithy/types";
import { LOCAL_DEFAULTS, loadConfig } from "../../core/config/index.ts";
import { PipelineError } from "../../core/errors.ts";
import type { Template } from "./assembly.ts";
import {
  deniedMessage as awsDeniedMessage,
  createAuthorizer,
  type GatewayDecision,
  startGateway,
  type TemplateAuthorizer,
} from "./iam/index.ts";
import { type AccessDecision, type AccessRequest, LOCAL_SECRET_ACCESS_KEY } from "./iam/types.ts";

/** Whether IAM is enforced offline: on unless `PIPELINE_IAM=off`. */
export function iamEnforced(env: Record<string, string | undefined> = process.env): boolean {
  return env.PIPELINE_IAM !== "off";
}

export interface AccessDeniedDetails {
  readonly request: AccessRequest;
  readonly decision: AccessDecision;
}

/**
 * A call IAM refuses, named as AWS names it in the message: "User: <assumed role> is not
 * authorized to perform: <action> on resource: <resource>".
 */
export class AccessDeniedError extends PipelineError {
  override name = "AccessDeniedException";
  readonly details: AccessDeniedDetails;
  constructor(details: AccessDeniedDetails) {
    super(deniedMessage(details.request, details.decision));
    this.details = details;
  }
}

/** AWS's wording (the gateway's), or the service principal's for a call a service makes. */
export function deniedMessage(request: AccessRequest, decision: AccessDecision): string {
  const role = roleName(request.principal);
  const service = request.action.slice(0, request.action.indexOf(":"));
  if (role) return awsDeniedMessage(role, service, request, decision);
  return `${request.principal} is not authorized to perform: ${request.action} on resource: ${request.resource} (${decision.explanation})`;
}

/** The role name of a role ARN; undefined for a service principal. */
export function roleName(arn: string): string | undefined {
  const match = /^arn:aws:iam::\d{12}:role\/(?:.*\/)?([^/]+)$/.exec(arn);
  return match?.[1];
}

export interface RuntimeAccessOptions {
  readonly template: Template;
  readonly log: (message: string) => void;
  /** @default iamEnforced() */
  readonly enforce?: boolean;
  /** The MSK clusters the gateway answers GetBootstrapBrokers for. */
  readonly kafkaClusters?: ReadonlyArray<{ arn: string; bootstrapBrokerStringSaslIam: string }>;
  /** Told of every denial (the runtime writes it to the log of the role's functions). */
  readonly onDenied?: (message: string, request: AccessRequest) => void;
}

export class RuntimeAccess {
  readonly enforced: boolean;
  readonly authorizer: TemplateAuthorizer | undefined;
  /** The gateway's URL, or the emulator's when nothing is enforced. */
  readonly endpoint: string;
  private readonly region: string;
  private readonly log: (message: string) => void;
  private readonly closeGateway: () => Promise<void>;
  private readonly onDenied: ((message: string, request: AccessRequest) => void) | undefined;
  /**
   * Every distinct call IAM allowed, gateway and runtime alike: what the AWS target's
   * template must allow too (iam/aws-replay.ts).
   */
  readonly journal: AccessRequest[] = [];
  private readonly journalKeys = new Set<string>();

  private constructor(init: {
    enforced: boolean;
    authorizer: TemplateAuthorizer | undefined;
    endpoint: string;
    region: string;
    log: (message: string) => void;
    onDenied?: (message: string, request: AccessRequest) => void;
    close: () => Promise<void>;
  }) {
    this.onDenied = init.onDenied;
    this.enforced = init.enforced;
    this.authorizer = init.authorizer;
    this.endpoint = init.endpoint;
    this.region = init.region;
    this.log = init.log;
    this.closeGateway = init.close;
  }

  static async start(options: RuntimeAccessOptions): Promise<RuntimeAccess> {
    const config = loadConfig();
    const emulator = config.aws.endpointUrl ?? LOCAL_DEFAULTS.awsEndpoint;
    const enforced = options.enforce ?? iamEnforced();
    if (!enforced) {
      options.log("IAM is not enforced (PIPELINE_IAM=off): every call is allowed");
      return new RuntimeAccess({
        enforced,
        authorizer: undefined,
        endpoint: emulator,
        region: config.aws.region,
        log: options.log,
        close: async () => undefined,
      });
    }
    const authorizer = createAuthorizer(options.template);
    let access: RuntimeAccess | undefined;
    const gateway = await startGateway({
      authorizer,
      template: options.template,
      emulatorUrl: emulator,
      clusters: options.kafkaClusters ?? [],
      onDecision: (d: GatewayDecision) => {
        if (d.allowed) access?.remember(d);
        else {
          const message = deniedMessage(d, d);
          options.log(`IAM denied: ${message}`);
          options.onDenied?.(message, d);
        }
      },
    });
    options.log(`IAM enforced: AWS calls of the template's roles go through ${gateway.url}`);
    access = new RuntimeAccess({
      enforced,
      authorizer,
      endpoint: gateway.url,
      region: config.aws.region,
      log: options.log,
      onDenied: options.onDenied,
      close: () => gateway.close(),
    });
    return access;
  }

  private remember(request: AccessRequest): void {
    const entry: AccessRequest = {
      principal: request.principal,
      action: request.action,
      resource: request.resource,
      ...(request.context ? { context: request.context } : {}),
    };
    const key = JSON.stringify(entry);
    if (this.journalKeys.has(key)) return;
    this.journalKeys.add(key);
    this.journal.push(entry);
  }

  /** Credentials that act as the role (its name is the access key id; see iam/types.ts). */
  credentials(roleArn: string): AwsCredentialIdentity | undefined {
    const name = roleName(roleArn);
    if (!this.enforced || !name) return undefined;
    return { accessKeyId: name, secretAccessKey: LOCAL_SECRET_ACCESS_KEY };
  }

  /** The environment of a process (a sandbox, the dbt container) acting as the role. */
  environment(roleArn: string): Record<string, string> {
    const credentials = this.credentials(roleArn);
    if (!credentials) return {};
    return {
      AWS_ENDPOINT_URL: this.endpoint,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      // A session token of the runtime's own environment must not ride along.
      AWS_SESSION_TOKEN: "",
    };
  }

  /** SDK client configuration acting as the role (or as the operator when not enforced). */
  clientConfig(roleArn: string): { endpoint: string; region: string; credentials?: AwsCredentialIdentity } {
    const credentials = this.credentials(roleArn);
    return { endpoint: this.endpoint, region: this.region, ...(credentials ? { credentials } : {}) };
  }

  /**
   * Asks IAM about something the runtime does itself on the role's behalf; throws
   * {@link AccessDeniedError} (logged with role, action and resource) when IAM refuses.
   */
  async require(request: AccessRequest): Promise<void> {
    if (!this.authorizer) return;
    const decision = await this.authorizer.decide(request);
    if (decision.allowed) {
      this.remember(request);
      return;
    }
    const error = new AccessDeniedError({ request, decision });
    this.log(`IAM denied: ${error.message}`);
    this.onDenied?.(error.message, request);
    throw error;
  }

  async close(): Promise<void> {
    await this.closeGateway();
  }
}
