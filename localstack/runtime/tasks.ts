/**
 * Service integrations of Task states, run locally:
 * - Lambda (`arn:aws:states:::lambda:invoke` and plain function ARNs) → the in-process function;
 * - `arn:aws:states:::ecs:runTask(.sync)` → the task definition's container run on this machine
 *   (see ecs-task.ts), its exit code deciding success like the essential container's;
 * - `arn:aws:states:::sns:publish` → the emulator's SNS.
 * Errors carry the names Step Functions uses, so the template's Retry and Catch match as in AWS.
 */
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { AccessDeniedError, type RuntimeAccess } from "./access.ts";
import { FunctionError, FunctionTimeoutError, TooManyRequestsError } from "./functions/host.ts";
import { TaskError, type TaskRunner } from "./state-machines.ts";
import { lastArnPart } from "./template-reader.ts";

export interface TaskRunnerDeps {
  /** The state machine's role, what every task acts as, and IAM's view of it. */
  readonly roleArn: string;
  readonly access: RuntimeAccess;
  /** A function's ARN from its name (what `lambda:InvokeFunction` is granted on). */
  readonly functionArn: (functionName: string) => string;
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

export function createTaskRunner(deps: TaskRunnerDeps): TaskRunner {
  const sns = new SNSClient(deps.access.clientConfig(deps.roleArn));
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
      try {
        const result = await sns.send(
          new PublishCommand({
            TopicArn: String(parameters.TopicArn),
            Message: message,
            Subject: parameters.Subject as string,
          }),
        );
        return { MessageId: result.MessageId };
      } catch (error) {
        // Step Functions names an integration's error `<Service>.<the SDK's exception>`.
        const e = error as Error;
        throw new TaskError(`SNS.${e.name.endsWith("Exception") ? e.name : `${e.name}Exception`}`, e.message);
      }
    }
    throw new TaskError("States.Runtime", `the local runtime does not run the integration ${resource}`);
  };
}

async function invokeLambda(deps: TaskRunnerDeps, functionRef: string, payload: unknown): Promise<unknown> {
  const functionName = lastArnPart(functionRef);
  try {
    await deps.access.require({
      principal: deps.roleArn,
      action: "lambda:InvokeFunction",
      resource: deps.functionArn(functionName),
    });
  } catch (error) {
    // What Step Functions reports when Lambda refuses the state machine's role.
    if (error instanceof AccessDeniedError) throw new TaskError("Lambda.AWSLambdaException", error.message);
    throw error;
  }
  try {
    return await deps.invokeFunction(functionName, payload);
  } catch (error) {
    // Step Functions names a function error by its errorType; a timeout is Sandbox.Timedout.
    if (error instanceof FunctionTimeoutError) throw new TaskError("Sandbox.Timedout", error.message);
    if (error instanceof FunctionError) throw new TaskError(error.errorType, error.message);
    // Lambda's 429 (reserved concurrency in use): the state's Retry may catch it by this name.
    if (error instanceof TooManyRequestsError)
      throw new TaskError("Lambda.TooManyRequestsException", error.message);
    throw new TaskError("Lambda.ServiceException", (error as Error).message);
  }
}
