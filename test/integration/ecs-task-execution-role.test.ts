/**
 * The dbt task's start, judged as its EXECUTION role, as ECS does it: the container's Secrets
 * come from the emulator's Secrets Manager (one JSON key each) read as that role through the
 * IAM gateway, and the registry auth, the image pull and the log stream need its grants too.
 * A refused step stops the task before the container runs — TaskFailedToStart with ECS's
 * ResourceInitializationError naming the call — and fails the state (States.TaskFailed).
 * On the product template (local target, warehouse snowflake, where the key pair reaches dbt
 * only this way).
 */
import { randomBytes } from "node:crypto";
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  PutSecretValueCommand,
} from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { secretsManager } from "../../core/aws/clients.ts";
import { loadConfig } from "../../core/config/index.ts";
import { RuntimeAccess } from "../../localstack/runtime/access.ts";
import { resourcesOfType, type Template } from "../../localstack/runtime/assembly.ts";
import { createEcsTaskRunner } from "../../localstack/runtime/ecs-task.ts";
import {
  type ContainerStartDefinition,
  startAsExecutionRole,
} from "../../localstack/runtime/ecs-task-start.ts";
import { resolve } from "../../localstack/runtime/intrinsics.ts";
import { useLocalServicesEnv } from "../../localstack/runtime/open.ts";
import { TaskError } from "../../localstack/runtime/state-machines.ts";
import { readStack } from "../../localstack/runtime/template-reader.ts";
import { REPO_ROOT } from "../../localstack/services/settings.ts";
import { arnOfResource, synthesizeTemplate } from "../fixtures/iam-template.ts";

const envName = `ecs${randomBytes(3).toString("hex")}`;
const secretName = `pipeline-${envName}-warehouse`;
const secret = {
  account: "fakesnow",
  username: "PIPELINE",
  // Passed through as it is: the start reads JSON keys, it does not parse the key.
  privateKey: "<the service user key>",
  warehouse: "TRANSFORMING",
  database: "PIPELINE",
  role: "TRANSFORMER",
  host: "127.0.0.1",
  port: 4567,
  protocol: "http",
};
const product = synthesizeTemplate({ target: "local", warehouse: "snowflake", envName });

/** The product template with the statements of the dbt task's execution role that grant `action` removed. */
function withoutExecutionRoleGrant(action: string): Template {
  const template = structuredClone(product);
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== "AWS::IAM::Policy" || !id.startsWith("TransformDbtTaskExecutionRole")) continue;
    const document = resource.Properties?.PolicyDocument as { Statement: Array<{ Action: unknown }> };
    document.Statement = document.Statement.filter((s) => !JSON.stringify(s.Action).includes(`"${action}"`));
  }
  return template;
}

const accesses: RuntimeAccess[] = [];
const log: string[] = [];

async function runTaskOn(template: Template): Promise<unknown> {
  const region = loadConfig().aws.region;
  const stack = readStack({ stackName: `PipelineLocal-${envName}`, template }, REPO_ROOT, region);
  const access = await RuntimeAccess.start({ template, log: (m) => log.push(m), enforce: true });
  accesses.push(access);
  const machine = stack.stateMachines[0];
  if (!machine) throw new Error("no state machine");
  const run = createEcsTaskRunner({
    stack,
    repoRoot: REPO_ROOT,
    log: (m) => log.push(m),
    access,
    roleArn: machine.roleArn,
  });
  const taskDefinition = arnOfResource(template, "AWS::ECS::TaskDefinition");
  return run(
    {
      TaskDefinition: taskDefinition,
      Overrides: { ContainerOverrides: [{ Name: "dbt", Command: ["--version"] }] },
    },
    { name: `${envName}-run`, arn: `arn:aws:states:${region}:000000000000:execution:x:${envName}-run` },
  ).catch((error: unknown) => error);
}

/** The stopped task runTask.sync put in the state's failure cause. */
function stoppedTask(failure: unknown): { StopCode: string; StoppedReason: string; LastStatus: string } {
  expect(failure).toBeInstanceOf(TaskError);
  expect((failure as TaskError).name).toBe("States.TaskFailed");
  return JSON.parse((failure as TaskError).message);
}

beforeAll(async () => {
  useLocalServicesEnv();
  await secretsManager().send(
    new CreateSecretCommand({ Name: secretName, SecretString: JSON.stringify(secret) }),
  );
});

afterAll(async () => {
  await Promise.all(accesses.map((a) => a.close()));
  await secretsManager().send(
    new DeleteSecretCommand({ SecretId: secretName, ForceDeleteWithoutRecovery: true }),
  );
});

describe("the dbt task starts as its execution role", () => {
  it("an execution role without the secret's grant gets a task stopped before its container, naming the secret and the denial", async () => {
    // Act
    const failure = await runTaskOn(withoutExecutionRoleGrant("secretsmanager:GetSecretValue"));

    // Assess
    const task = stoppedTask(failure);
    expect(task.LastStatus).toBe("STOPPED");
    expect(task.StopCode).toBe("TaskFailedToStart");
    expect(task.StoppedReason).toMatch(
      /^ResourceInitializationError: unable to pull secrets or registry auth/,
    );
    expect(task.StoppedReason).toContain(`failed to fetch secret arn:aws:secretsmanager:`);
    expect(task.StoppedReason).toContain(`:secret:${secretName}`);
    expect(task.StoppedReason).toMatch(
      /AccessDeniedException: User: \S*assumed-role\/TransformDbtTaskExecutionRole\S*\/\S+ is not authorized to perform: secretsmanager:GetSecretValue/,
    );
    expect(log.some((m) => m.startsWith("IAM denied:") && m.includes("secretsmanager:GetSecretValue"))).toBe(
      true,
    );
    expect(log.some((m) => m.startsWith("ecs:runTask dbt: "))).toBe(false);
  });

  it("the registry auth, the image pull and the log stream are judged as the execution role too", async () => {
    // Act
    const [auth, pull, stream] = [
      await runTaskOn(withoutExecutionRoleGrant("ecr:GetAuthorizationToken")),
      await runTaskOn(withoutExecutionRoleGrant("ecr:BatchGetImage")),
      await runTaskOn(withoutExecutionRoleGrant("logs:CreateLogStream")),
    ];

    // Assess
    expect(stoppedTask(auth).StoppedReason).toMatch(
      /^ResourceInitializationError: .*registry auth.*is not authorized to perform: ecr:GetAuthorizationToken on resource: \*/,
    );
    expect(stoppedTask(pull).StoppedReason).toMatch(
      /^CannotPullContainerError: .*ecr:BatchGetImage on resource: arn:aws:ecr:[^:]+:000000000000:repository\/cdk-hnb659fds-container-assets-/,
    );
    expect(stoppedTask(stream).StoppedReason).toMatch(
      /^ResourceInitializationError: failed to validate logger args: .*logs:CreateLogStream on resource: arn:aws:logs:[^:]+:000000000000:log-group:TransformDbtLogs[^:]*:log-stream:dbt\/dbt\//,
    );
  });

  it("with the grants, each secret variable is its JSON key of the secret; a key the secret lacks stops the task as ECS does", async () => {
    // Prepare
    const region = loadConfig().aws.region;
    const stack = readStack({ stackName: `PipelineLocal-${envName}`, template: product }, REPO_ROOT, region);
    const access = await RuntimeAccess.start({ template: product, log: (m) => log.push(m), enforce: true });
    accesses.push(access);
    const [[, definition] = []] = resourcesOfType(product, "AWS::ECS::TaskDefinition");
    const properties = resolve(stack.context, definition?.Properties) as {
      ContainerDefinitions: ContainerStartDefinition[];
      ExecutionRoleArn: string;
    };
    const start = () =>
      startAsExecutionRole({
        access,
        context: stack.context,
        executionRoleArn: properties.ExecutionRoleArn,
        container: properties.ContainerDefinitions[0] as ContainerStartDefinition,
        taskId: "t1",
      });

    // Act
    const environment = await start();
    const { host: _host, ...withoutHost } = secret;
    await secretsManager().send(
      new PutSecretValueCommand({ SecretId: secretName, SecretString: JSON.stringify(withoutHost) }),
    );
    const missing = await start().catch((error: Error) => error);

    // Assess
    expect(environment).toEqual({
      SNOWFLAKE_ACCOUNT: "fakesnow",
      SNOWFLAKE_USER: "PIPELINE",
      SNOWFLAKE_PRIVATE_KEY: secret.privateKey,
      SNOWFLAKE_WAREHOUSE: "TRANSFORMING",
      SNOWFLAKE_DATABASE: "PIPELINE",
      SNOWFLAKE_ROLE: "TRANSFORMER",
      SNOWFLAKE_HOST: "127.0.0.1",
      SNOWFLAKE_PORT: "4567",
      SNOWFLAKE_PROTOCOL: "http",
    });
    expect((missing as Error).message).toMatch(
      /^ResourceInitializationError: .*retrieved secret from Secrets Manager did not contain json key host$/,
    );
  });
});
