/**
 * The pipeline stack: the constructs wired together for one target.
 *
 * AWS: Network → Streaming (MSK) → Lake → Warehouse → Ingestion (functions and triggers)
 * → topics custom resource → Transform (dbt on Fargate) → Orchestration.
 * Local: the same, minus the VPC and MSK: the offline broker as self-managed Kafka,
 * emulator endpoints and the offline PostgreSQL in the environment, fixed resource names
 * matching core/config's defaults, placeholder network ids for the dbt task (the local
 * runtime runs it as a local process).
 */
import { Annotations, ArnFormat, CfnOutput, Fn, RemovalPolicy, Stack, type StackProps } from "aws-cdk-lib";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import type * as ecs from "aws-cdk-lib/aws-ecs";
import * as iam from "aws-cdk-lib/aws-iam";
import * as kms from "aws-cdk-lib/aws-kms";
import * as lambda from "aws-cdk-lib/aws-lambda";
import type * as logs from "aws-cdk-lib/aws-logs";
import type { Construct } from "constructs";
import type { InfraConfig } from "./config.ts";
import { Dashboard } from "./constructs/dashboard.ts";
import { Ingestion } from "./constructs/ingestion.ts";
import { Lake } from "./constructs/lake.ts";
import { Network } from "./constructs/network.ts";
import { Orchestration } from "./constructs/orchestration.ts";
import { Serving } from "./constructs/serving.ts";
import { type KafkaCluster, LocalKafka, Streaming } from "./constructs/streaming.ts";
import { Transform } from "./constructs/transform.ts";
import { Warehouse } from "./constructs/warehouse.ts";
import { type FunctionSpec, functions as registry, topicDefinitions } from "./functions.ts";

export interface PipelineStackProps extends StackProps {
  readonly config: InfraConfig;
  /** The registry to synthesize. @default every entry of infra/functions.ts */
  readonly functions?: readonly FunctionSpec[];
  /** The dbt image. @default built from dbt/Dockerfile */
  readonly dbtImage?: ecs.ContainerImage;
}

export class PipelineStack extends Stack {
  public readonly lake: Lake;
  public readonly ingestion: Ingestion;
  public readonly orchestration: Orchestration;
  public readonly transform: Transform;
  public readonly warehouse: Warehouse;
  public readonly serving: Serving;
  /** Undefined for the local target (the local runtime's dashboard server serves the page). */
  public readonly dashboard?: Dashboard;
  /** Undefined for the local target. */
  public readonly network?: Network;
  public readonly kafka: KafkaCluster;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, props);
    const { config } = props;
    const local = config.target === "local";
    const removalPolicy = config.removalPolicy === "destroy" ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    const logRetention = config.logRetentionDays as logs.RetentionDays;
    const prefix = `pipeline-${config.envName}`;

    this.lake = new Lake(this, "Lake", {
      removalPolicy,
      // Offline, the names core/config defaults to, so every tool finds the same buckets.
      bucketNames: local
        ? { raw: "pipeline-raw", quarantine: "pipeline-quarantine", artifacts: "pipeline-artifacts" }
        : undefined,
    });
    this.warehouse = new Warehouse(this, "Warehouse", {
      target: config.warehouse,
      localDatabaseUrl: local ? config.localDatabaseUrl : undefined,
      // Offline, the Snowflake secret has the name the demo fills and names the offline service.
      secretName: local && config.warehouse === "snowflake" ? `${prefix}-warehouse` : undefined,
      endpointInSecret: local,
      snowflakeStage: config.snowflakeStage,
      snowflakeIntegration:
        config.snowflakeIamUserArn && config.snowflakeExternalId
          ? {
              iamUserArn: config.snowflakeIamUserArn,
              externalId: config.snowflakeExternalId,
              roleName: `${prefix}-snowflake-stage`,
              rawBucket: this.lake.raw,
            }
          : undefined,
      removalPolicy,
    });

    let vpc: ec2.IVpc;
    let taskSubnets: ec2.SubnetSelection;
    let taskSecurityGroup: ec2.ISecurityGroup | undefined;
    if (local) {
      this.kafka = new LocalKafka(this, "Streaming", {
        brokers: config.localKafkaBrokers.split(","),
        mskIam: config.localKafkaIam ? { clusterName: prefix } : undefined,
      });
      // No VPC offline: placeholder ids the dbt state names and the local runtime ignores.
      vpc = ec2.Vpc.fromVpcAttributes(this, "NoVpc", {
        vpcId: "vpc-local",
        availabilityZones: ["local-1a"],
        publicSubnetIds: ["subnet-local"],
      });
      Annotations.of(vpc).acknowledgeWarning(
        "@aws-cdk/aws-ec2:noSubnetRouteTableId",
        "Placeholder subnet of the local target: nothing reads its route table",
      );
      taskSubnets = { subnetType: ec2.SubnetType.PUBLIC };
      taskSecurityGroup = ec2.SecurityGroup.fromSecurityGroupId(this, "NoSecurityGroup", "sg-local");
    } else {
      this.network = new Network(this, "Network", {
        natGateway: config.natGateway,
        flowLogRetention: logRetention,
        flowLogRemovalPolicy: removalPolicy,
      });
      vpc = this.network.vpc;
      taskSubnets = this.network.taskSubnets;
      this.kafka = new Streaming(this, "Streaming", {
        vpc,
        subnets: this.network.privateSubnets,
        securityGroup: this.network.clusterSecurityGroup,
        clusterName: prefix,
        mode: config.kafkaMode,
        logRetention,
      });
    }

    const emulator: Record<string, string> = local ? { AWS_ENDPOINT_URL: config.localAwsEndpoint } : {};
    this.ingestion = new Ingestion(this, "Ingestion", {
      functions: props.functions ?? registry,
      envName: config.envName,
      lake: this.lake,
      kafka: this.kafka,
      warehouse: this.warehouse,
      environment: emulator,
      network: this.network && {
        vpc: this.network.vpc,
        subnets: this.network.privateSubnets,
        securityGroup: this.network.kafkaClients,
      },
      fixedNames: local,
      installNodeModules: !local,
      logRetention,
      removalPolicy,
    });

    this.serving = new Serving(this, "Serving", {
      removalPolicy,
      tableName: local ? "pipeline-serving" : undefined,
    });
    this.wireServingAndProducers(props.functions ?? registry);
    this.wireStockPoller(config.stockPoller);

    const provisioner = this.ingestion.functions.get("topics-provisioner");
    if (provisioner) {
      const topics = this.kafka.provisionTopics(provisioner, topicDefinitions);
      // Deleted (or rolled back) before the subnets' routes and the endpoints it answers
      // CloudFormation through, or the delete waits for the resource's timeout.
      if (this.network) topics.node.addDependency(this.network.vpc);
      this.kafka.grantAdmin(
        provisioner,
        topicDefinitions.map((t) => t.topic),
      );
      // Mappings start polling once their topics exist.
      for (const fn of this.ingestion.functions.values()) {
        for (const child of fn.node.findAll()) {
          if (child instanceof lambda.CfnEventSourceMapping) child.node.addDependency(topics);
        }
      }
    }

    this.transform = new Transform(this, "Transform", {
      vpc,
      warehouse: this.warehouse,
      lake: this.lake,
      environment: emulator,
      securityGroup: taskSecurityGroup,
      image: props.dbtImage,
      logRetention,
      logRemovalPolicy: removalPolicy,
    });

    this.orchestration = new Orchestration(this, "Orchestration", {
      stateMachineName: local ? `${prefix}-run` : undefined,
      alertsTopicName: local ? `${prefix}-alerts` : undefined,
      loadPending: this.ingestion.fn("load-pending"),
      planBackfill: this.ingestion.fn("plan-backfill"),
      qualityGate: this.ingestion.fn("quality-gate"),
      publishSummary: this.ingestion.fn("publish-summary"),
      transform: this.transform,
      taskSubnets,
      assignPublicIp: !local,
      schedule: config.schedule,
      alertEmail: config.alertEmail,
      alertsKey: local ? undefined : kms.Alias.fromAliasName(this, "SnsKey", "alias/aws/sns"),
      logRetention,
      logRemovalPolicy: removalPolicy,
    });

    this.dashboard = this.wireDashboard(local, removalPolicy);

    new CfnOutput(this, "RawBucket", { value: this.lake.raw.bucketName });
    new CfnOutput(this, "ServingTable", { value: this.serving.table.tableName });
    new CfnOutput(this, "ArtifactsBucket", { value: this.lake.artifacts.bucketName });
    new CfnOutput(this, "StateMachineArn", { value: this.orchestration.stateMachine.stateMachineArn });
    new CfnOutput(this, "AlertsTopicArn", { value: this.orchestration.alerts.topicArn });
    if (this.kafka instanceof Streaming)
      new CfnOutput(this, "MskClusterArn", { value: this.kafka.clusterArn });
    if (this.warehouse.snowflakeRole) {
      new CfnOutput(this, "SnowflakeStageRoleArn", { value: this.warehouse.snowflakeRole.roleArn });
    }
    if (this.warehouse.secret) {
      new CfnOutput(this, "WarehouseSecretArn", { value: this.warehouse.secret.secretArn });
    }
  }

  /**
   * The dashboard-api function's run source (the runtime's history offline, the state machine
   * in AWS, read-only), and in AWS the page's hosting behind CloudFront.
   */
  private wireDashboard(local: boolean, removalPolicy: RemovalPolicy): Dashboard | undefined {
    const api = this.ingestion.functions.get("dashboard-api");
    const apiUrl = this.ingestion.functionUrls.get("dashboard-api");
    if (!api || !apiUrl) return undefined;
    if (local) {
      api.addEnvironment("RUNS_SOURCE", "local");
      return undefined;
    }
    const machine = this.orchestration.stateMachine;
    api.addEnvironment("STATE_MACHINE_ARN", machine.stateMachineArn);
    // Outside the VPC (it needs Step Functions, DynamoDB and the warehouse, which a NAT-less
    // VPC doesn't reach), the function can't read Kafka offsets: no records-per-stage there.
    api.addEnvironment("STAGE_COUNTS", "off");
    api.addToRolePolicy(
      new iam.PolicyStatement({ actions: ["states:ListExecutions"], resources: [machine.stateMachineArn] }),
    );
    api.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ["states:GetExecutionHistory"],
        resources: [
          this.formatArn({
            service: "states",
            resource: "execution",
            resourceName: `${Fn.select(6, Fn.split(":", machine.stateMachineArn))}:*`,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );
    const dashboard = new Dashboard(this, "Dashboard", {
      api: apiUrl,
      accessLogs: this.lake.accessLogs,
      removalPolicy,
    });
    new CfnOutput(this, "DashboardUrl", { value: dashboard.url });
    return dashboard;
  }

  /** The stock-poller's source: off unless configured (STOCK_POLLER_SOURCE, QUOTES_API_URL). */
  private wireStockPoller(source: InfraConfig["stockPoller"]): void {
    const fn = this.ingestion.functions.get("stock-poller");
    if (!fn) return;
    fn.addEnvironment("STOCK_POLLER_SOURCE", source === "off" || source === "generator" ? source : "api");
    if (source !== "off" && source !== "generator") fn.addEnvironment("QUOTES_API_URL", source);
  }

  /** Serving-table access (+ SERVING_TABLE) and Kafka produce rights, as the registry declares them. */
  private wireServingAndProducers(specs: readonly FunctionSpec[]): void {
    for (const spec of specs) {
      const fn = this.ingestion.functions.get(spec.name);
      if (!fn) continue;
      if (spec.servingTable) {
        this.serving.grant(fn, spec.servingTable);
        for (const [name, value] of Object.entries(this.serving.environment)) fn.addEnvironment(name, value);
      }
      if (spec.producesTo) this.kafka.grantProduce(fn, spec.producesTo);
    }
    // Functions in the VPC reach DynamoDB without NAT through a gateway endpoint (free, like S3's).
    if (this.network && specs.some((s) => s.servingTable && s.kafkaClient)) {
      this.network.vpc.addGatewayEndpoint("DynamoDbEndpoint", {
        service: ec2.GatewayVpcEndpointAwsService.DYNAMODB,
      });
    }
  }
}
