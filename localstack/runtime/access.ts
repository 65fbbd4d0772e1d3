/**
 * Who the runtime's work acts as, and what IAM lets it do. Offline as in AWS, every call is
 * made by a role of the template: a function's sandbox and the runtime's reads on its behalf
 * (event source mappings, on-failure destinations) as the function's execution role, the
 * state machine's tasks as its role, the dbt container as the task role, schedules as the
 * scheduler's role, S3 notifications as the s3.amazonaws.com service principal. Calls that go
 * over the AWS API pass through the IAM gateway (iam/gateway.ts) with temporary credentials
 * the runtime issues to the role's session, as STS does for Lambda and ECS (iam/credentials.ts;
 * the gateway verifies every request's SigV4 signature with them);
 * what the runtime does itself (invoking a function, running the ECS task) it asks the
 * authorizer first. `PIPELINE_IAM=off` switches enforcement off, for debugging only.
 */
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@smithy/types";
import { LOCAL_DEFAULTS, loadConfig, localAwsEnv } from "../../core/config/index.ts";
import { PipelineError } from "../../core/errors.ts";
import type { Template } from "./assembly.ts";
import { CredentialStore, RENEW_BEFORE_EXPIRY_MS, type TemporaryCredentials } from "./iam/credentials.ts";
import {
  deniedMessage as awsDeniedMessage,
  createAuthorizer,
  type GatewayDecision,
  startGateway,
  type TemplateAuthorizer,
} from "./iam/index.ts";
import { type AccessDecision, type AccessRequest, LOCAL_SESSION_NAME } from "./iam/types.ts";

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
  /** Where the broker's MSK IAM validator reads the issued credentials (kafka.ts `mskIamCredentialsDir`). */
  readonly credentialsDir?: string;
}

/**
 * The developer's own key, which the gateway verifies and lets pass unevaluated: the offline
 * tools' `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY` (the emulator's `test`/`test` unless set).
 */
export function operatorKey(env: Record<string, string | undefined> = process.env): {
  accessKeyId: string;
  secretAccessKey: string;
} {
  const local = localAwsEnv(env);
  return {
    accessKeyId: local.AWS_ACCESS_KEY_ID as string,
    secretAccessKey: local.AWS_SECRET_ACCESS_KEY as string,
  };
}

export class RuntimeAccess {
  readonly enforced: boolean;
  readonly authorizer: TemplateAuthorizer | undefined;
  /** The temporary credentials issued to the roles' sessions (undefined when nothing is enforced). */
  readonly store: CredentialStore | undefined;
  private readonly sessions = new Map<string, TemporaryCredentials>();
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
    store: CredentialStore | undefined;
    endpoint: string;
    region: string;
    log: (message: string) => void;
    onDenied?: (message: string, request: AccessRequest) => void;
    close: () => Promise<void>;
  }) {
    this.onDenied = init.onDenied;
    this.enforced = init.enforced;
    this.authorizer = init.authorizer;
    this.store = init.store;
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
        store: undefined,
        endpoint: emulator,
        region: config.aws.region,
        log: options.log,
        close: async () => undefined,
      });
    }
    const authorizer = createAuthorizer(options.template);
    const store = new CredentialStore({
      operator: operatorKey(),
      ...(options.credentialsDir ? { mirrorDir: options.credentialsDir } : {}),
    });
    let access: RuntimeAccess | undefined;
    const gateway = await startGateway({
      authorizer,
      template: options.template,
      credentials: store,
      // Who is refused before IAM, and why — never the key's secret or token.
      onRefused: (r) =>
        options.log(`AWS request refused (${r.kind}): ${r.method} ${r.path} (${r.service}): ${r.reason}`),
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
      store,
      endpoint: gateway.url,
      region: config.aws.region,
      log: options.log,
      onDenied: options.onDenied,
      close: async () => {
        await gateway.close();
        store.close();
      },
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

  /**
   * Temporary credentials of a session of the role (what STS gives Lambda and ECS): the same
   * ones until they are within RENEW_BEFORE_EXPIRY_MS of expiring, then new ones.
   */
  credentials(roleArn: string, sessionName: string = LOCAL_SESSION_NAME): TemporaryCredentials | undefined {
    if (!this.store || !roleName(roleArn)) return undefined;
    const key = `${roleArn} ${sessionName}`;
    const current = this.sessions.get(key);
    if (current && current.expiration.getTime() - RENEW_BEFORE_EXPIRY_MS > this.store.now()) return current;
    const issued = this.store.issue(roleArn, { sessionName });
    this.sessions.set(key, issued);
    return issued;
  }

  /** A credential provider for SDK clients acting as the role: the SDK renews before expiry. */
  credentialProvider(
    roleArn: string,
    sessionName: string = LOCAL_SESSION_NAME,
  ): AwsCredentialIdentityProvider | undefined {
    if (!this.credentials(roleArn, sessionName)) return undefined;
    return async () => this.credentials(roleArn, sessionName) as AwsCredentialIdentity;
  }

  /**
   * The environment of a process (a sandbox, the dbt container) acting as the role: fresh
   * session credentials, as Lambda puts them in a sandbox's environment, with their expiry in
   * AWS_CREDENTIAL_EXPIRATION (the SDKs read it; the function host recycles the sandbox).
   */
  environment(roleArn: string, sessionName: string = LOCAL_SESSION_NAME): Record<string, string> {
    if (!this.store || !roleName(roleArn)) return {};
    const credentials = this.store.issue(roleArn, { sessionName });
    return {
      AWS_ENDPOINT_URL: this.endpoint,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_SESSION_TOKEN: credentials.sessionToken,
      AWS_CREDENTIAL_EXPIRATION: credentials.expiration.toISOString(),
    };
  }

  /** SDK client configuration acting as the role (or as the operator when not enforced). */
  clientConfig(
    roleArn: string,
    sessionName: string = LOCAL_SESSION_NAME,
  ): { endpoint: string; region: string; credentials?: AwsCredentialIdentityProvider } {
    const credentials = this.credentialProvider(roleArn, sessionName);
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
