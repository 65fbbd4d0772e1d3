/**
 * Tests' synthesized templates: the CDK app built in-process (no asset bundling), as
 * `cdk synth` would write it for the given context (`{ target: "local" }`, `{ target: "aws" }`).
 */
import { App } from "aws-cdk-lib";
import { Template as Assertions } from "aws-cdk-lib/assertions";
import { buildApp } from "../../../infra/app.ts";
import { resourcesOfType, type Template } from "../assembly.ts";
import { arnOf } from "../intrinsics.ts";
import { resolveContext } from "./policies.ts";

export function synthesizeTemplate(context: Record<string, string>): Template {
  const app = new App({ context: { ...context, "aws:cdk:bundling-stacks": [] } });
  const { stack } = buildApp({ app });
  return Assertions.fromStack(stack).toJSON() as Template;
}

/** The local ARN of the one resource of `type` whose logical id starts with `prefix`. */
export function arnOfResource(template: Template, type: string, prefix = ""): string {
  const matches = resourcesOfType(template, type).filter(([id]) => id.startsWith(prefix));
  if (matches.length !== 1) throw new Error(`${matches.length} resources of ${type} start with "${prefix}"`);
  return arnOf(resolveContext(template), (matches[0] as [string, unknown])[0]);
}
