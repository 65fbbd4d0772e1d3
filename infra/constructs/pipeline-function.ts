/**
 * The one place holding the defaults every platform function shares: Node.js 24 on arm64,
 * an esbuild bundle with source maps (built locally, never in Docker), Powertools settings,
 * a log group with retention, X-Ray tracing, and the `PIPELINE_FUNCTION` variable the local
 * runtime uses to map a synthesized function back to its handler module.
 */
import * as path from "node:path";
import { Duration, type RemovalPolicy } from "aws-cdk-lib";
import type * as ec2 from "aws-cdk-lib/aws-ec2";
import * as lambda from "aws-cdk-lib/aws-lambda";
import { NodejsFunction, OutputFormat } from "aws-cdk-lib/aws-lambda-nodejs";
import * as logs from "aws-cdk-lib/aws-logs";
import type { Construct } from "constructs";
import { type FunctionSpec, handlerModule } from "../functions.ts";

/** Repository root: handler modules and the lock file are found from here. */
export const REPO_ROOT = path.resolve(import.meta.dirname, "../..");

/** Powertools metrics namespace shared by every function. */
export const METRICS_NAMESPACE = "Pipeline";

export interface PipelineFunctionProps {
  /** The registry entry: name, handler module, memory, timeout, node modules. */
  readonly spec: FunctionSpec;
  /** Configuration environment (bucket names, KAFKA_*, WAREHOUSE_TARGET …). @default {} */
  readonly environment?: Record<string, string>;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** Removal policy of the function's log group. @default RemovalPolicy.RETAIN (CDK default) */
  readonly logRemovalPolicy?: RemovalPolicy;
  /** Only for functions with a Kafka client. @default not in a VPC */
  readonly vpc?: ec2.IVpc;
  readonly vpcSubnets?: ec2.SubnetSelection;
  readonly securityGroups?: ec2.ISecurityGroup[];
  /** Install `spec.nodeModules` next to the bundle instead of bundling them. @default true */
  readonly installNodeModules?: boolean;
  /** Where failed asynchronous invocations (S3, schedules) go. @default none */
  readonly onFailure?: lambda.IDestination;
}

export class PipelineFunction extends NodejsFunction {
  /** The registry name (also `PIPELINE_FUNCTION`). */
  public readonly pipelineName: string;

  constructor(scope: Construct, id: string, props: PipelineFunctionProps) {
    const { spec } = props;
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy,
    });
    const nodeModules = props.installNodeModules === false ? [] : [...(spec.nodeModules ?? [])];
    super(scope, id, {
      description: spec.description,
      entry: path.join(REPO_ROOT, handlerModule(spec.name)),
      handler: "handler",
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: spec.memorySize,
      timeout: Duration.seconds(spec.timeoutSeconds),
      tracing: lambda.Tracing.ACTIVE,
      logGroup,
      vpc: props.vpc,
      vpcSubnets: props.vpc ? props.vpcSubnets : undefined,
      securityGroups: props.vpc ? props.securityGroups : undefined,
      onFailure: props.onFailure,
      projectRoot: REPO_ROOT,
      depsLockFilePath: path.join(REPO_ROOT, "package-lock.json"),
      environment: {
        PIPELINE_FUNCTION: spec.name,
        POWERTOOLS_SERVICE_NAME: spec.name,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        POWERTOOLS_LOG_LEVEL: "INFO",
        NODE_OPTIONS: "--enable-source-maps",
        ...props.environment,
      },
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        target: "node24",
        sourceMap: true,
        minify: true,
        // ESM bundles of CommonJS dependencies need a real `require`.
        banner:
          "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
        // The runtime ships AWS SDK v3; snowflake-sdk and friends are installed, not bundled.
        externalModules: ["@aws-sdk/*", ...nodeModules],
        nodeModules,
        // Installing nodeModules reuses npm's cache, so a synth after `npm ci` works offline.
        environment: {
          npm_config_prefer_offline: "true",
          npm_config_audit: "false",
          npm_config_fund: "false",
        },
      },
    });
    this.pipelineName = spec.name;
  }
}
