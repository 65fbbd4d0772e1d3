/**
 * The CDK app (`cdk.json` → `node infra/app.ts`). Configuration comes from context:
 * `npx cdk synth -c target=local`, `-c warehouse=postgres`, … (see infra/config.ts and
 * docs/DEPLOY.md). cdk-nag's AwsSolutions and Serverless packs run at every synth.
 */
import { App } from "aws-cdk-lib";
import type * as ecs from "aws-cdk-lib/aws-ecs";
import { BUNDLING_STACKS } from "aws-cdk-lib/cx-api";
import { configFromContext } from "./config.ts";
import { type FunctionSpec, functions as registry, withTriggerConfig } from "./functions.ts";
import { acknowledgeFindings, addNagChecks } from "./nag.ts";
import { PipelineStack } from "./pipeline-stack.ts";

export interface BuildOptions {
  /** @default a new App reading cdk.json's and the command line's context */
  readonly app?: App;
  /** @default the whole registry */
  readonly functions?: readonly FunctionSpec[];
  /** @default built from dbt/Dockerfile */
  readonly dbtImage?: ecs.ContainerImage;
}

export function buildApp(options: BuildOptions = {}): { app: App; stack: PipelineStack } {
  const app = options.app ?? new App();
  const config = configFromContext((key) => app.node.tryGetContext(key));
  // The local runtime imports each handler from its source (lambdas/<name>/index.ts), never
  // its bundle: esbuild for every function was most of a local synth, for assets nobody read.
  // The AWS target bundles as always (infra/synth.test.ts checks its bundles).
  if (config.target === "local") app.node.setContext(BUNDLING_STACKS, []);
  const functions = withTriggerConfig(options.functions ?? registry, config);
  const stack = new PipelineStack(app, stackName(config.target, config.envName), {
    config,
    functions,
    dbtImage: options.dbtImage,
    description: `Streamline data platform (${config.target}, ${config.envName}, ${config.warehouse})`,
  });
  acknowledgeFindings(stack, functions);
  addNagChecks(app);
  return { app, stack };
}

/** `Pipeline-dev` in AWS, `PipelineLocal-local` offline. */
export function stackName(target: "aws" | "local", envName: string): string {
  return `${target === "local" ? "PipelineLocal" : "Pipeline"}-${envName}`;
}

if (import.meta.main) buildApp().app.synth();
