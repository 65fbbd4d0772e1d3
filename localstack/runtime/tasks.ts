/**
 * Service integrations of Task states, run locally:
 * - Lambda (`arn:aws:states:::lambda:invoke` and plain function ARNs) → the in-process function;
 * - `arn:aws:states:::ecs:runTask(.sync)` → the task definition's container run on this machine
 *   (see ecs-task.ts), its exit code deciding success like the essential container's;
 * - `arn:aws:states:::sns:publish` → the emulator's SNS.
 * Errors carry the names Step Functions uses, so the template's Retry and Catch match as in AWS.
 */
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { FunctionError, FunctionTimeoutError } from "./functions/host.ts";
import { TaskError, type TaskRunner } from "./state-machines.ts";
import { lastArnPart } from "./template-reader.ts";

export interface TaskRunnerDeps {
  readonly invokeFunction: (functionName: string, payload: unknown) => Promise<unknown>;
  readonly runEcsTask: (
    parameters: EcsRunTaskParameters,
    execution: { name: string; arn: string },
  ) => Promise<unknown>;
}

export interface EcsRunTaskParameters {
  readonly Cluster?: string;
  readonly TaskDefinition: string;
  readonly LaunchType?: string;
  readonly Overrides?: {
    readonly ContainerOverrides?: ReadonlyArray<{
      readonly Name: string;
      readonly Command?: string[];
      readonly Environment?: ReadonlyArray<{ Name: string; Value: string }>;
    }>;
  };
}

const sns = new SNSClient({});

export function createTaskRunner(deps: TaskRunnerDeps): TaskRunner {
  return async (resource, input, execution) => {
    const parameters = (input ?? {}) as Record<string, unknown>;
    if (resource.startsWith("arn:aws:states:::lambda:invoke")) {
      const payload = await invokeLambda(deps, String(parameters.FunctionName), parameters.Payload ?? {});
      return { ExecutedVersion: "$LATEST", Payload: payload, StatusCode: 200 };
    }
    if (/^arn:aws:lambda:[^:]*:[^:]*:function:/.test(resource)) {
      return invokeLambda(deps, resource, input);
    }
    if (resource.startsWith("arn:aws:states:::ecs:runTask")) {
      return deps.runEcsTask(parameters as unknown as EcsRunTaskParameters, execution);
    }
    if (resource === "arn:aws:states:::sns:publish") {
      const message =
        typeof parameters.Message === "string" ? parameters.Message : JSON.stringify(parameters.Message);
      const result = await sns.send(
        new PublishCommand({
          TopicArn: String(parameters.TopicArn),
          Message: message,
          Subject: parameters.Subject as string,
        }),
      );
      return { MessageId: result.MessageId };
    }
    throw new TaskError("States.Runtime", `the local runtime does not run the integration ${resource}`);
  };
}

async function invokeLambda(deps: TaskRunnerDeps, functionRef: string, payload: unknown): Promise<unknown> {
  try {
    return await deps.invokeFunction(lastArnPart(functionRef), payload);
  } catch (error) {
    // Step Functions names a function error by its errorType; a timeout is Sandbox.Timedout.
    if (error instanceof FunctionTimeoutError) throw new TaskError("Sandbox.Timedout", error.message);
    if (error instanceof FunctionError) throw new TaskError(error.errorType, error.message);
    throw new TaskError("Lambda.ServiceException", (error as Error).message);
  }
}
