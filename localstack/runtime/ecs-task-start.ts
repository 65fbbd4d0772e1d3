/**
 * What ECS does as the task's EXECUTION role before the container starts, judged offline as
 * in AWS: the registry's auth token (`ecr:GetAuthorizationToken` on `*`), the container's
 * `Secrets` read from Secrets Manager (`secretsmanager:GetSecretValue` on the secret — over
 * the IAM gateway, so its resource policy counts too — and `kms:Decrypt` of a customer managed
 * key the secret names), the image pull (`ecr:BatchGetImage`, `ecr:GetDownloadUrlForLayer` on
 * the repository) and the awslogs driver's stream (`logs:CreateLogStream`, `logs:PutLogEvents`
 * on the task's log group). Any of them refused, the task stops before its container runs,
 * as Fargate stops it: `TaskFailedToStart` with ECS's `ResourceInitializationError` /
 * `CannotPullContainerError` reason naming the call and the resource.
 *
 * Offline the image is not pulled (the container runs natively) and no log event is written:
 * only the permissions are judged.
 */
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { LOCAL_ACCOUNT } from "../../core/config/index.ts";
import { PipelineError } from "../../core/errors.ts";
import { AccessDeniedError, type RuntimeAccess } from "./access.ts";
import { resourcesOfType } from "./assembly.ts";
import { arnOf, type ResolveContext, resolve } from "./intrinsics.ts";

/** The parts of a container definition ECS reads before the container starts. */
export interface ContainerStartDefinition {
  readonly Name: string;
  readonly Image?: string;
  readonly Secrets?: ReadonlyArray<{ Name: string; ValueFrom: string }>;
  readonly LogConfiguration?: { LogDriver?: string; Options?: Record<string, string> };
}

/** A task that ECS could not start: its `stoppedReason`. */
export class TaskStartError extends PipelineError {
  override name = "TaskStartError";
}

export interface TaskStartInput {
  readonly access: RuntimeAccess;
  readonly context: ResolveContext;
  readonly executionRoleArn: string | undefined;
  readonly container: ContainerStartDefinition;
  /** The task's id, the last part of its log stream's name (`<prefix>/<container>/<task id>`). */
  readonly taskId: string;
}

/**
 * Judges what ECS does before starting the container and returns the container's secret
 * variables; throws {@link TaskStartError} with ECS's reason when any step is refused.
 */
export async function startAsExecutionRole(input: TaskStartInput): Promise<Record<string, string>> {
  const { container } = input;
  const repository = ecrRepository(input.container.Image ?? "");
  const needsExecutionRole =
    repository !== undefined ||
    (container.Secrets?.length ?? 0) > 0 ||
    container.LogConfiguration?.LogDriver === "awslogs";
  const role = input.executionRoleArn;
  if (!role) {
    if (needsExecutionRole)
      throw new TaskStartError(
        "ResourceInitializationError: the task definition has no execution role, which its ECR image, secrets or awslogs driver need",
      );
    return {};
  }
  const asRole = (action: string, resource: string, context?: Record<string, string>) =>
    input.access.require({ principal: role, action, resource, ...(context ? { context } : {}) });

  // 1. Execution resources: the registry's auth token and the secrets.
  if (repository) {
    await denied(asRole("ecr:GetAuthorizationToken", "*"), (message) =>
      retrievalFailed(`unable to retrieve ecr registry auth: ${message}`),
    );
  }
  const secrets = await resolveSecrets(input, role);

  // 2. The image.
  if (repository) {
    for (const action of ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]) {
      await denied(
        asRole(action, repository.arn),
        (message) =>
          `CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to resolve ref ${container.Image}: ${message}`,
      );
    }
  }

  // 3. The awslogs driver's stream, created before the container starts.
  const logs = container.LogConfiguration;
  if (logs?.LogDriver === "awslogs") {
    const options = logs.Options ?? {};
    const group = options["awslogs-group"];
    if (!group) throw new TaskStartError("ResourceInitializationError: awslogs-group is not set");
    const region = options["awslogs-region"] ?? input.context.region;
    const stream = [options["awslogs-stream-prefix"], container.Name, input.taskId].filter(Boolean).join("/");
    // The stream's ARN: what a grant on the group's ARN (`…:log-group:<name>:*`) covers.
    const streamArn = `arn:aws:logs:${region}:${LOCAL_ACCOUNT}:log-group:${group}:log-stream:${stream}`;
    for (const action of ["logs:CreateLogStream", "logs:PutLogEvents"]) {
      await denied(
        asRole(action, streamArn),
        (message) =>
          `ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: failed to create Cloudwatch log stream: ${message}`,
      );
    }
  }
  return secrets;
}

/** `<account>.dkr.ecr.<region>.amazonaws.com/<repository>[:tag|@digest]`; undefined for another registry. */
export function ecrRepository(image: string): { arn: string; name: string } | undefined {
  const match = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([^:@]+)/.exec(image);
  if (!match) return undefined;
  const [, account, region, name] = match as unknown as [string, string, string, string];
  return { arn: `arn:aws:ecr:${region}:${account}:repository/${name}`, name };
}

/** `arn:aws:secretsmanager:…:secret:<name>[:json-key:version-stage:version-id]`. */
export function parseSecretValueFrom(valueFrom: string): {
  secretArn: string;
  jsonKey?: string;
  versionStage?: string;
  versionId?: string;
} {
  const match =
    /^(arn:aws[a-z-]*:secretsmanager:[^:]*:\d{12}:secret:[^:]+)(?::([^:]*):([^:]*):([^:]*))?$/.exec(
      valueFrom,
    );
  if (!match)
    throw new TaskStartError(
      `ResourceInitializationError: the local runtime resolves Secrets Manager secrets only (by ARN), not "${valueFrom}"`,
    );
  const [, secretArn, jsonKey, versionStage, versionId] = match;
  return {
    secretArn: secretArn as string,
    ...(jsonKey ? { jsonKey } : {}),
    ...(versionStage ? { versionStage } : {}),
    ...(versionId ? { versionId } : {}),
  };
}

async function resolveSecrets(input: TaskStartInput, role: string): Promise<Record<string, string>> {
  const entries = input.container.Secrets ?? [];
  if (entries.length === 0) return {};
  // The secret's reads act as the execution role through the IAM gateway, as ECS's agent does.
  const client = new SecretsManagerClient(input.access.clientConfig(role));
  const fetched = new Map<string, Promise<string>>();
  const environment: Record<string, string> = {};
  try {
    for (const { Name, ValueFrom } of entries) {
      const ref = parseSecretValueFrom(ValueFrom);
      const key = `${ref.secretArn}|${ref.versionStage ?? ""}|${ref.versionId ?? ""}`;
      let value = fetched.get(key);
      if (!value) {
        value = fetchSecret(input, client, role, ref);
        fetched.set(key, value);
      }
      const text = await value;
      if (!ref.jsonKey) {
        environment[Name] = text;
        continue;
      }
      let json: Record<string, unknown>;
      try {
        json = JSON.parse(text) as Record<string, unknown>;
      } catch {
        throw new TaskStartError(
          retrievalFailed(`retrieved secret from Secrets Manager did not contain json key ${ref.jsonKey}`),
        );
      }
      const field = json[ref.jsonKey];
      if (field === undefined || field === null)
        throw new TaskStartError(
          retrievalFailed(`retrieved secret from Secrets Manager did not contain json key ${ref.jsonKey}`),
        );
      environment[Name] = typeof field === "string" ? field : JSON.stringify(field);
    }
  } finally {
    client.destroy();
  }
  return environment;
}

async function fetchSecret(
  input: TaskStartInput,
  client: SecretsManagerClient,
  role: string,
  ref: ReturnType<typeof parseSecretValueFrom>,
): Promise<string> {
  const failed = (message: string) =>
    retrievalFailed(
      `unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret ${ref.secretArn} from secrets manager: ${message}`,
    );
  // A customer managed key: ECS decrypts through Secrets Manager as the execution role.
  const key = customerManagedKey(input.context, ref.secretArn);
  if (key) {
    await denied(
      input.access.require({
        principal: role,
        action: "kms:Decrypt",
        resource: key,
        context: {
          "kms:ViaService": `secretsmanager.${input.context.region}.amazonaws.com`,
          "kms:EncryptionContext:SecretARN": ref.secretArn,
        },
      }),
      failed,
    );
  }
  try {
    const answer = await client.send(
      new GetSecretValueCommand({
        SecretId: ref.secretArn,
        ...(ref.versionStage ? { VersionStage: ref.versionStage } : {}),
        ...(ref.versionId ? { VersionId: ref.versionId } : {}),
      }),
    );
    if (answer.SecretString === undefined) throw new TaskStartError(failed("the secret has no SecretString"));
    return answer.SecretString;
  } catch (error) {
    if (error instanceof TaskStartError) throw error;
    const e = error as Error;
    throw new TaskStartError(failed(`${e.name}: ${e.message}`));
  }
}

/** The ARN of the customer managed KMS key a template secret is encrypted with, if any. */
function customerManagedKey(context: ResolveContext, secretArn: string): string | undefined {
  for (const [id, resource] of resourcesOfType(context.template, "AWS::SecretsManager::Secret")) {
    if (arnOf(context, id) !== secretArn) continue;
    const key = resource.Properties?.KmsKeyId;
    if (key === undefined) return undefined;
    const resolved = String(resolve(context, key));
    // `alias/aws/secretsmanager` is the AWS managed key: no key policy of ours to judge.
    return resolved.includes("alias/aws/") ? undefined : resolved;
  }
  return undefined;
}

function retrievalFailed(detail: string): string {
  return `ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: ${detail}`;
}

/** Awaits a runtime IAM check; a denial becomes the task's stop with `reason(AWS's message)`. */
async function denied(check: Promise<void>, reason: (message: string) => string): Promise<void> {
  try {
    await check;
  } catch (error) {
    if (error instanceof AccessDeniedError)
      throw new TaskStartError(reason(`AccessDeniedException: ${error.message}`));
    throw error;
  }
}
