/**
 * Streaming: where the functions' Kafka comes from.
 *
 * `Streaming` (AWS target) is an MSK cluster with IAM auth — MSK Serverless by default,
 * provisioned MSK (TLS + IAM) as an option — plus the topics, created at deploy time by a
 * custom resource. `LocalKafka` (local target) is the offline broker, reached as self-managed
 * Kafka. Both implement {@link KafkaCluster}, so the ingestion wiring does not care which.
 */
import { ArnFormat, CustomResource, Duration, Fn, Stack } from "aws-cdk-lib";
import type * as ec2 from "aws-cdk-lib/aws-ec2";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import {
  AuthenticationMethod,
  ManagedKafkaEventSource,
  SelfManagedKafkaEventSource,
} from "aws-cdk-lib/aws-lambda-event-sources";
import * as logs from "aws-cdk-lib/aws-logs";
import * as msk from "aws-cdk-lib/aws-msk";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import { Construct } from "constructs";
import type { KafkaTrigger } from "../functions.ts";

export interface TopicDefinition {
  readonly topic: string;
  readonly partitions: number;
  readonly compacted?: boolean;
}

/** What the ingestion wiring needs from a Kafka cluster, whichever target. */
export interface KafkaCluster {
  /** Environment a Kafka client function reads (see core/config: KAFKA_*, MSK_CLUSTER_ARN). */
  readonly clientEnvironment: Record<string, string>;
  /** An event source for one topic of a trigger, consuming as `groupId`. */
  eventSource(
    topic: string,
    trigger: KafkaTrigger,
    groupId: string,
    onFailure: lambda.IEventSourceDlq,
  ): lambda.IEventSource;
  grantProduce(grantee: iam.IGrantable, topics: readonly string[]): void;
  grantAdmin(grantee: iam.IGrantable, topics: readonly string[]): void;
  /** Consumer permissions beyond what the event source adds (none for self-managed Kafka). */
  grantConsume(grantee: iam.IGrantable, topics: readonly string[], groupIds: readonly string[]): void;
  /** Creates the topics at deploy time with the given function as the custom resource handler. */
  provisionTopics(handler: lambda.IFunction, topics: readonly TopicDefinition[]): CustomResource;
}

/**
 * The `Custom::KafkaTopics` resource, backed by the function directly: CloudFormation (or the
 * local runtime, for the local target) invokes it and it answers on the response URL.
 * `ServiceTimeout`: an answer that can't reach CloudFormation fails the resource after the
 * function's own 5 minutes (and a little), not after the default hour.
 */
function topicsResource(
  scope: Construct,
  handler: lambda.IFunction,
  topics: readonly TopicDefinition[],
  replicationFactor: number,
) {
  return new CustomResource(scope, "Topics", {
    serviceToken: handler.functionArn,
    resourceType: "Custom::KafkaTopics",
    serviceTimeout: TOPICS_SERVICE_TIMEOUT,
    properties: {
      Topics: topics.map((t) => ({ ...t, compacted: t.compacted ? "true" : "false" })),
      ReplicationFactor: String(replicationFactor),
    },
  });
}

/** How long CloudFormation waits for the topics provisioner's answer. */
export const TOPICS_SERVICE_TIMEOUT = Duration.minutes(6);

function eventSourceOptions(trigger: KafkaTrigger, groupId: string, onFailure: lambda.IEventSourceDlq) {
  return {
    batchSize: trigger.batchSize,
    maxBatchingWindow: Duration.seconds(trigger.maxBatchingWindowSeconds),
    startingPosition: lambda.StartingPosition[trigger.startingPosition],
    retryAttempts: trigger.retryAttempts,
    bisectBatchOnError: trigger.bisectBatchOnError,
    consumerGroupId: groupId,
    onFailure,
  };
}

export interface StreamingProps {
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly securityGroup: ec2.ISecurityGroup;
  /** Cluster name; also part of every topic and group ARN. */
  readonly clusterName: string;
  /** @default "serverless" */
  readonly mode?: "serverless" | "provisioned";
  /** Provisioned only. @default "kafka.t3.small" */
  readonly brokerInstanceType?: string;
  /** Provisioned only: broker log retention. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** Provisioned only. @default "3.8.x" */
  readonly kafkaVersion?: string;
}

export class Streaming extends Construct implements KafkaCluster {
  public readonly clusterArn: string;
  public readonly clusterName: string;
  public readonly mode: "serverless" | "provisioned";
  public readonly clientEnvironment: Record<string, string>;
  /** The topics custom resource, once {@link provisionTopics} ran: mappings depend on it. */
  public topics?: CustomResource;
  /**
   * Copies of each partition: 3 on MSK Serverless (what it keeps), min(3, brokers) on a
   * provisioned cluster, so one broker patched at a time leaves every partition online.
   */
  public readonly replicationFactor: number;

  constructor(scope: Construct, id: string, props: StreamingProps) {
    super(scope, id);
    this.clusterName = props.clusterName;
    this.mode = props.mode ?? "serverless";
    const subnetIds = props.vpc.selectSubnets(props.subnets).subnetIds;
    const securityGroups = [props.securityGroup.securityGroupId];
    this.replicationFactor = this.mode === "serverless" ? 3 : Math.min(3, subnetIds.length);
    if (this.mode === "serverless") {
      const cluster = new msk.CfnServerlessCluster(this, "Cluster", {
        clusterName: props.clusterName,
        clientAuthentication: { sasl: { iam: { enabled: true } } },
        vpcConfigs: [{ subnetIds, securityGroups }],
      });
      this.clusterArn = cluster.attrArn;
    } else {
      const cluster = new msk.CfnCluster(this, "Cluster", {
        clusterName: props.clusterName,
        kafkaVersion: props.kafkaVersion ?? "3.8.x",
        numberOfBrokerNodes: subnetIds.length,
        brokerNodeGroupInfo: {
          instanceType: props.brokerInstanceType ?? "kafka.t3.small",
          clientSubnets: subnetIds,
          securityGroups,
          storageInfo: { ebsStorageInfo: { volumeSize: 100 } },
        },
        clientAuthentication: { sasl: { iam: { enabled: true } }, unauthenticated: { enabled: false } },
        encryptionInfo: { encryptionInTransit: { clientBroker: "TLS", inCluster: true } },
        enhancedMonitoring: "PER_BROKER",
        loggingInfo: {
          brokerLogs: {
            cloudWatchLogs: {
              enabled: true,
              logGroup: new logs.LogGroup(this, "BrokerLogs", {
                retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
              }).logGroupName,
            },
          },
        },
      });
      this.clusterArn = cluster.attrArn;
    }
    this.clientEnvironment = { KAFKA_AUTH: "iam", MSK_CLUSTER_ARN: this.clusterArn };
  }

  eventSource(topic: string, trigger: KafkaTrigger, groupId: string, onFailure: lambda.IEventSourceDlq) {
    return new ManagedKafkaEventSource({
      clusterArn: this.clusterArn,
      topic,
      ...eventSourceOptions(trigger, groupId, onFailure),
      // Bounded retries, bisect and on-failure destinations need provisioned pollers; one
      // poller group shares them between the per-topic mappings (one idle poller, not one each).
      provisionedPollerConfig: {
        minimumPollers: 1,
        maximumPollers: 3,
        pollerGroupName: `${this.clusterName}-pollers`,
      },
    });
  }

  provisionTopics(handler: lambda.IFunction, topics: readonly TopicDefinition[]): CustomResource {
    this.topics = topicsResource(this, handler, topics, this.replicationFactor);
    return this.topics;
  }

  grantConsume(grantee: iam.IGrantable, topics: readonly string[], groupIds: readonly string[]): void {
    this.grant(
      grantee,
      ["kafka-cluster:Connect", "kafka-cluster:DescribeClusterDynamicConfiguration"],
      [this.clusterArn],
    );
    this.grant(grantee, ["kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"], this.topicArns(topics));
    this.grant(
      grantee,
      ["kafka-cluster:DescribeGroup", "kafka-cluster:AlterGroup"],
      groupIds.map((groupId) => this.arn("group", groupId)),
    );
  }

  grantProduce(grantee: iam.IGrantable, topics: readonly string[]): void {
    this.grantBootstrap(grantee);
    this.grant(grantee, ["kafka-cluster:Connect", "kafka-cluster:WriteDataIdempotently"], [this.clusterArn]);
    this.grant(grantee, ["kafka-cluster:DescribeTopic", "kafka-cluster:WriteData"], this.topicArns(topics));
  }

  grantAdmin(grantee: iam.IGrantable, topics: readonly string[]): void {
    this.grantBootstrap(grantee);
    this.grant(grantee, ["kafka-cluster:Connect"], [this.clusterArn]);
    this.grant(
      grantee,
      [
        "kafka-cluster:CreateTopic",
        "kafka-cluster:DescribeTopic",
        "kafka-cluster:DescribeTopicDynamicConfiguration",
      ],
      this.topicArns(topics),
    );
  }

  private grantBootstrap(grantee: iam.IGrantable): void {
    this.grant(grantee, ["kafka:GetBootstrapBrokers", "kafka:DescribeClusterV2"], [this.clusterArn]);
  }

  private grant(grantee: iam.IGrantable, actions: string[], resources: string[]): void {
    iam.Grant.addToPrincipal({ grantee, actions, resourceArns: resources });
  }

  private topicArns(topics: readonly string[]): string[] {
    return topics.map((t) => this.arn("topic", t));
  }

  /** Topic and group ARNs: `arn:…:kafka:…:<kind>/<cluster name>/<cluster uuid>/<name>`. */
  private arn(kind: "topic" | "group", name: string): string {
    const uuid = Fn.select(2, Fn.split("/", this.clusterArn));
    return Stack.of(this).formatArn({
      service: "kafka",
      resource: kind,
      resourceName: `${this.clusterName}/${uuid}/${name}`,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
  }
}

export interface LocalKafkaProps {
  /** The offline broker(s). @default ["127.0.0.1:9092"] */
  readonly brokers?: readonly string[];
}

/**
 * The local target's Kafka: the native broker as self-managed Kafka. Lambda's construct
 * insists on credentials for brokers outside a VPC, so the stack holds a placeholder secret
 * (the local broker is PLAINTEXT and the local runtime does not read it).
 */
export class LocalKafka extends Construct implements KafkaCluster {
  public readonly brokers: readonly string[];
  public readonly clientEnvironment: Record<string, string>;
  private readonly credentials: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: LocalKafkaProps = {}) {
    super(scope, id);
    this.brokers = props.brokers ?? ["127.0.0.1:9092"];
    this.clientEnvironment = { KAFKA_AUTH: "none", KAFKA_BROKERS: this.brokers.join(",") };
    this.credentials = new secretsmanager.Secret(this, "Credentials", {
      description: "Placeholder: the local Kafka broker is PLAINTEXT",
      generateSecretString: { secretStringTemplate: '{"username":"local"}', generateStringKey: "password" },
    });
  }

  eventSource(topic: string, trigger: KafkaTrigger, groupId: string, onFailure: lambda.IEventSourceDlq) {
    return new SelfManagedKafkaEventSource({
      bootstrapServers: [...this.brokers],
      topic,
      secret: this.credentials,
      authenticationMethod: AuthenticationMethod.BASIC_AUTH,
      ...eventSourceOptions(trigger, groupId, onFailure),
    });
  }

  grantConsume(): void {}
  grantProduce(): void {}
  grantAdmin(): void {}

  provisionTopics(handler: lambda.IFunction, topics: readonly TopicDefinition[]): CustomResource {
    // One offline broker: one copy.
    return topicsResource(this, handler, topics, 1);
  }
}
