/**
 * `ecs:runTask.sync`, run on this machine: the task definition's essential container is
 * executed as the dbt image would execute it — the image's entrypoint with the command the
 * state passes as a container override, and the container's environment from the template
 * plus the state's overrides and its `Secrets` — against the native dbt environment. Before
 * the container starts, what ECS does as the execution role (registry auth, secrets, image
 * pull, log stream) is judged by IAM (ecs-task-start.ts); refused, the task stops without
 * running (`TaskFailedToStart`). As on Fargate, the output is the stopped task's description,
 * and a stopped task whose essential container did not exit 0 fails the state
 * (States.TaskFailed).
 */
import { LOCAL_ACCOUNT, loadConfig } from "../../core/config/index.ts";
import { runDbtTask } from "../../core/dbt/task.ts";
import { AccessDeniedError, type RuntimeAccess } from "./access.ts";
import { type ContainerStartDefinition, startAsExecutionRole, TaskStartError } from "./ecs-task-start.ts";
import { arnOf, physicalName, resolve } from "./intrinsics.ts";
import { TaskError } from "./state-machines.ts";
import type { EcsRunTaskParameters } from "./tasks.ts";
import type { LocalStack } from "./template-reader.ts";

export interface EcsTaskRunnerDeps {
  readonly stack: LocalStack;
  readonly repoRoot: string;
  readonly log: (message: string) => void;
  readonly access: RuntimeAccess;
  /** The state machine's role: it runs the task and passes the task's roles to ECS. */
  readonly roleArn: string;
}

interface ContainerDefinition extends ContainerStartDefinition {
  Name: string;
  Essential?: boolean;
  Environment?: Array<{ Name: string; Value: string }>;
  Command?: string[];
}

export function createEcsTaskRunner(deps: EcsTaskRunnerDeps) {
  return async (parameters: EcsRunTaskParameters, execution: { name: string; arn: string }) => {
    const { container, taskRoleArn, executionRoleArn, arn } = taskDefinition(
      deps.stack,
      parameters.TaskDefinition,
    );
    await authorizeRunTask(deps, arn, [taskRoleArn, executionRoleArn]);
    const taskArn = `arn:aws:ecs:local:${LOCAL_ACCOUNT}:task/local/${execution.name}`;
    let secrets: Record<string, string>;
    try {
      secrets = await startAsExecutionRole({
        access: deps.access,
        context: deps.stack.context,
        executionRoleArn,
        container,
        taskId: execution.name,
      });
    } catch (error) {
      if (!(error instanceof TaskStartError)) throw error;
      deps.log(`ecs:runTask ${container.Name} did not start: ${error.message}`);
      // What runTask.sync reports for a task that stopped before its container ran.
      const stopped = {
        TaskArn: taskArn,
        TaskDefinitionArn: parameters.TaskDefinition,
        LastStatus: "STOPPED",
        StopCode: "TaskFailedToStart",
        StoppedReason: error.message,
        Containers: [{ Name: container.Name, LastStatus: "STOPPED" }],
        Overrides: parameters.Overrides ?? {},
      };
      throw new TaskError("States.TaskFailed", JSON.stringify(stopped));
    }
    const override = parameters.Overrides?.ContainerOverrides?.find((o) => o.Name === container.Name);
    const command = override?.Command ?? container.Command ?? [];
    const environment: Record<string, string> = {};
    for (const { Name, Value } of container.Environment ?? []) environment[Name] = Value;
    Object.assign(environment, secrets);
    for (const { Name, Value } of override?.Environment ?? []) environment[Name] = Value;
    deps.log(`ecs:runTask ${container.Name}: ${command.join(" ")}`);
    const { exitCode, output } = await runDbtTask({
      args: command,
      artifactsBucket: environment.ARTIFACTS_BUCKET ?? loadConfig().buckets.artifacts,
      executionId: environment.EXECUTION_ID ?? execution.name,
      // The container's AWS calls (dbt's artifacts) act as the task role, as on Fargate: a
      // session named after the task, with temporary credentials.
      env: {
        ...process.env,
        ...environment,
        ...(taskRoleArn ? deps.access.environment(taskRoleArn, execution.name) : {}),
      },
    });
    const tail = output.split("\n").slice(-40).join("\n");
    deps.log(`ecs:runTask ${container.Name} exited with ${exitCode}${exitCode === 0 ? "" : `:\n${tail}`}`);
    const task = {
      TaskArn: taskArn,
      TaskDefinitionArn: parameters.TaskDefinition,
      LastStatus: "STOPPED",
      StopCode: "EssentialContainerExited",
      StoppedReason: "Essential container in task exited",
      // Fargate's Reason is short; locally we keep the end of dbt's output there, where
      // `pipeline runs show` prints it.
      Containers: [
        {
          Name: container.Name,
          ExitCode: exitCode,
          LastStatus: "STOPPED",
          ...(exitCode === 0 ? {} : { Reason: tail }),
        },
      ],
      Overrides: parameters.Overrides ?? {},
    };
    // As runTask.sync does in AWS: a non-zero exit of the container fails the state with
    // States.TaskFailed (so the ASL's Retry and Catch apply), the stopped task as the cause.
    if (exitCode !== 0) throw new TaskError("States.TaskFailed", JSON.stringify(task));
    return task;
  };
}

/**
 * What `ecs:RunTask` needs of the state machine's role: RunTask on the task definition and
 * PassRole on the roles the task definition names. Refused, the state fails as Step Functions
 * fails it: `ECS.AccessDeniedException`.
 */
async function authorizeRunTask(
  deps: EcsTaskRunnerDeps,
  taskDefinitionArn: string,
  roles: ReadonlyArray<string | undefined>,
): Promise<void> {
  try {
    await deps.access.require({
      principal: deps.roleArn,
      action: "ecs:RunTask",
      resource: taskDefinitionArn,
    });
    for (const role of roles) {
      if (!role) continue;
      await deps.access.require({
        principal: deps.roleArn,
        action: "iam:PassRole",
        resource: role,
        context: { "iam:PassedToService": "ecs-tasks.amazonaws.com" },
      });
    }
  } catch (error) {
    if (error instanceof AccessDeniedError) throw new TaskError("ECS.AccessDeniedException", error.message);
    throw error;
  }
}

function taskDefinition(
  stack: LocalStack,
  taskDefinitionArn: string,
): { container: ContainerDefinition; arn: string; taskRoleArn?: string; executionRoleArn?: string } {
  const template = stack.context.template;
  const candidates = Object.entries(template.Resources).filter(
    ([, r]) => r.Type === "AWS::ECS::TaskDefinition",
  );
  const match =
    candidates.find(
      ([id]) => taskDefinitionArn.includes(id) || taskDefinitionArn.includes(physicalName(stack.context, id)),
    ) ?? (candidates.length === 1 ? candidates[0] : undefined);
  if (!match)
    throw new TaskError("ECS.ClientException", `task definition ${taskDefinitionArn} is not in the template`);
  const properties = (resolve(stack.context, match[1].Properties ?? {}) ?? {}) as {
    ContainerDefinitions?: ContainerDefinition[];
    TaskRoleArn?: string;
    ExecutionRoleArn?: string;
  };
  const containers = properties.ContainerDefinitions ?? [];
  const essential = containers.find((c) => c.Essential !== false);
  if (!essential)
    throw new TaskError("ECS.ClientException", `task definition ${match[0]} has no essential container`);
  return {
    container: essential,
    // RunTask may name a family (its latest revision) or a revision's ARN; IAM judges the ARN.
    arn: arnOf(stack.context, match[0]),
    taskRoleArn: properties.TaskRoleArn,
    executionRoleArn: properties.ExecutionRoleArn,
  };
}
