/**
 * Transform: dbt on Fargate. The image is built from `dbt/Dockerfile` (a Docker image asset:
 * synth only stages the folder, the build happens at deploy), credentials come from Secrets
 * Manager, logs go to CloudWatch. The state machine overrides the container command with
 * the dbt arguments of each run.
 *
 * One CPU architecture for both: the task runs on X86_64 and the image is built for
 * linux/amd64 whatever the deploying machine is (an arm64 laptop otherwise builds an arm64
 * image the task can't start: "exec format error"). x86_64 because dbt's adapters and their
 * wheels are best tested there; Fargate on arm64 is ~20 % cheaper — change both together.
 */
import * as path from "node:path";
import type { RemovalPolicy } from "aws-cdk-lib";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import { Platform } from "aws-cdk-lib/aws-ecr-assets";
import * as ecs from "aws-cdk-lib/aws-ecs";
import * as logs from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import type { BucketAccess } from "./lake.ts";
import { Lake } from "./lake.ts";
import { REPO_ROOT } from "./pipeline-function.ts";
import type { Warehouse } from "./warehouse.ts";

export const DBT_CONTAINER_NAME = "dbt";
/** The task's CPU and the image's platform: always the same architecture. */
export const DBT_CPU_ARCHITECTURE = ecs.CpuArchitecture.X86_64;
export const DBT_IMAGE_PLATFORM = Platform.LINUX_AMD64;

export interface TransformProps {
  /** The VPC of the task; the local target passes an imported placeholder (no VPC resources). */
  readonly vpc: ec2.IVpc;
  readonly warehouse: Warehouse;
  /** Where dbt uploads run_results.json and manifest.json. */
  readonly lake: Lake;
  /** Extra plain environment of the container (e.g. the emulator endpoint offline). @default {} */
  readonly environment?: Record<string, string>;
  /** @default 1024 (1 vCPU) */
  readonly cpu?: number;
  /** @default 2048 */
  readonly memoryLimitMiB?: number;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  readonly logRemovalPolicy?: RemovalPolicy;
  /** The dbt image. @default built from dbt/Dockerfile (an image asset) */
  readonly image?: ecs.ContainerImage;
  /** @default a new group: no inbound, HTTPS and PostgreSQL out */
  readonly securityGroup?: ec2.ISecurityGroup;
}

export class Transform extends Construct {
  public readonly cluster: ecs.Cluster;
  public readonly taskDefinition: ecs.FargateTaskDefinition;
  public readonly container: ecs.ContainerDefinition;
  public readonly securityGroup: ec2.ISecurityGroup;

  constructor(scope: Construct, id: string, props: TransformProps) {
    super(scope, id);
    this.cluster = new ecs.Cluster(this, "Cluster", {
      vpc: props.vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });
    this.taskDefinition = new ecs.FargateTaskDefinition(this, "DbtTask", {
      cpu: props.cpu ?? 1024,
      memoryLimitMiB: props.memoryLimitMiB ?? 2048,
      runtimePlatform: {
        cpuArchitecture: DBT_CPU_ARCHITECTURE,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
    });
    const logGroup = new logs.LogGroup(this, "DbtLogs", {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy,
    });
    this.container = this.taskDefinition.addContainer(DBT_CONTAINER_NAME, {
      image:
        props.image ??
        ecs.ContainerImage.fromAsset(path.join(REPO_ROOT, "dbt"), {
          exclude: ["target", "logs", "dbt_packages", ".venv", ".user.yml"],
          platform: DBT_IMAGE_PLATFORM,
        }),
      essential: true,
      logging: ecs.LogDrivers.awsLogs({ streamPrefix: "dbt", logGroup }),
      environment: {
        ...props.warehouse.containerEnvironment(),
        ARTIFACTS_BUCKET: props.lake.environment.ARTIFACTS_BUCKET as string,
        ...props.environment,
      },
      secrets: props.warehouse.containerSecrets(),
    });
    Lake.grant(this.taskDefinition.taskRole, props.lake.artifacts, "write" satisfies BucketAccess);
    this.securityGroup = props.securityGroup ?? this.createSecurityGroup(props.vpc);
  }

  private createSecurityGroup(vpc: ec2.IVpc): ec2.SecurityGroup {
    const group = new ec2.SecurityGroup(this, "TaskSecurityGroup", {
      vpc,
      description: "dbt task: no inbound, HTTPS out (warehouse, ECR, S3)",
      allowAllOutbound: false,
    });
    group.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), "HTTPS (Snowflake, ECR, S3)");
    group.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(5432), "PostgreSQL warehouse");
    return group;
  }
}
