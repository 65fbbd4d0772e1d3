/**
 * Test helpers: synthesize the app for a target without bundling (the `aws:cdk:bundling-stacks`
 * context set to no stack makes NodejsFunction skip esbuild), once per configuration.
 */
import { App, type Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { buildApp } from "./app.ts";
import type { InfraConfigInput } from "./config.ts";

export interface Synthesized {
  readonly app: App;
  readonly stack: Stack;
  readonly template: Template;
}

const cache = new Map<string, Synthesized>();

export function synthesize(context: InfraConfigInput = {}): Synthesized {
  const key = JSON.stringify(context);
  const cached = cache.get(key);
  if (cached) return cached;
  const app = new App({ context: { ...context, "aws:cdk:bundling-stacks": [] } });
  const { stack } = buildApp({ app });
  const result = { app, stack, template: Template.fromStack(stack) };
  cache.set(key, result);
  return result;
}

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

/** The resources of one CloudFormation type, by logical id. */
export function resourcesOf(template: Template, type: string): Resources {
  return template.findResources(type) as Resources;
}

/** The logical id of the function a registry name was synthesized as. */
export function functionId(template: Template, name: string): string {
  const found = Object.entries(resourcesOf(template, "AWS::Lambda::Function")).find(
    ([, r]) =>
      (r.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables
        ?.PIPELINE_FUNCTION === name,
  );
  if (!found) throw new Error(`no function with PIPELINE_FUNCTION=${name}`);
  return found[0];
}

/**
 * The state machine's definition as JSON, its intrinsics turned into plausible strings:
 * `Fn::GetAtt [X, Arn]` → a Lambda/ECS-looking ARN naming X, `Ref X` → X, pseudo parameters
 * → us-east-1 / aws / an account id. What asl-validator and the assertions read.
 */
export function stateMachineDefinition(template: Template): Record<string, unknown> {
  const machines = Object.values(resourcesOf(template, "AWS::StepFunctions::StateMachine"));
  if (machines.length !== 1) throw new Error(`expected one state machine, found ${machines.length}`);
  return JSON.parse(flatten(machines[0]?.Properties?.DefinitionString)) as Record<string, unknown>;
}

const PSEUDO: Record<string, string> = {
  "AWS::Region": "us-east-1",
  "AWS::Partition": "aws",
  "AWS::AccountId": "123456789012",
  "AWS::URLSuffix": "amazonaws.com",
};

function flatten(value: unknown): string {
  if (typeof value === "string") return value;
  const node = value as Record<string, unknown>;
  if ("Fn::Join" in node) {
    const [separator, parts] = node["Fn::Join"] as [string, unknown[]];
    return parts.map(flatten).join(separator);
  }
  if ("Ref" in node) {
    const ref = node.Ref as string;
    return PSEUDO[ref] ?? ref;
  }
  if ("Fn::GetAtt" in node) {
    const [id] = node["Fn::GetAtt"] as [string, string];
    return `arn:aws:lambda:us-east-1:123456789012:function:${id}`;
  }
  throw new Error(`cannot flatten ${JSON.stringify(value)}`);
}
