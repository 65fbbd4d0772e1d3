/**
 * Streaming: where the functions' Kafka comes from.
 *
 * `Streaming` (AWS target) is an MSK cluster with IAM auth — MSK Serverless by default,
 * provisioned MSK (TLS + IAM) as an option — plus the topics, created at deploy time by a
 * custom resource. `LocalKafka` (local target) is the offline broker: with `mskIam` it is
 * wired as MSK IAM exactly as `Streaming` (a local cluster ARN, the same grants through
 * {@link MskGrants}, managed Kafka event sources) and the local runtime enforces it; without,
 * self-managed Kafka on PLAINTEXT with no grants. Both implement {@link KafkaCluster}, so the
 * ingestion wiring does not care which.
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
import { LOCAL_DEFAULTS } from "../../core/config/index.ts";
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

/** An MSK event source (CDK adds the function's kafka:* describe and bootstrap rights). */
function managedEventSource(
  clusterArn: string,
  clusterName: string,
  topic: string,
  options: ReturnType<typeof eventSourceOptions>,
) {
  return new ManagedKafkaEventSource({
    clusterArn,
    topic,
    ...options,
    // Bounded retries, bisect and on-failure destinations need provisioned pollers; one
    // poller group shares them between the per-topic mappings (one idle poller, not one each).
    provisionedPollerConfig: {
      minimumPollers: 1,
      maximumPollers: 3,
      pollerGroupName: `${clusterName}-pollers`,
    },
  });
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
  private readonly grants: MskGrants;

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
    const uuid = Fn.select(2, Fn.split("/", this.clusterArn));
    this.grants = new MskGrants(this, this.clusterArn, this.clusterName, uuid);
  }

  eventSource(topic: string, trigger: KafkaTrigger, groupId: string, onFailure: lambda.IEventSourceDlq) {
    return managedEventSource(
      this.clusterArn,
      this.clusterName,
      topic,
      eventSourceOptions(trigger, groupId, onFailure),
    );
  }

  provisionTopics(handler: lambda.IFunction, topics: readonly TopicDefinition[]): CustomResource {
    this.topics = topicsResource(this, handler, topics, this.replicationFactor);
    return this.topics;
  }

  grantConsume(grantee: iam.IGrantable, topics: readonly string[], groupIds: readonly string[]): void {
    this.grants.grantConsume(grantee, topics, groupIds);
  }

  grantProduce(grantee: iam.IGrantable, topics: readonly string[]): void {
    this.grants.grantProduce(grantee, topics);
  }

  grantAdmin(grantee: iam.IGrantable, topics: readonly string[]): void {
    this.grants.grantAdmin(grantee, topics);
  }
}

/**
 * MSK IAM rights on one cluster, the same for both targets: `kafka-cluster:*` actions on the
 * cluster, topic and group ARNs (`arn:…:kafka:…:<kind>/<cluster name>/<cluster uuid>/<name>`),
 * `kafka:GetBootstrapBrokers` for the lookup.
 */
export class MskGrants {
  private readonly scope: Construct;
  private readonly clusterArn: string;
  private readonly clusterName: string;
  /** The cluster ARN's last part (a token in AWS, where MSK picks it). */
  private readonly clusterUuid: string;

  constructor(scope: Construct, clusterArn: string, clusterName: string, clusterUuid: string) {
    this.scope = scope;
    this.clusterArn = clusterArn;
    this.clusterName = clusterName;
    this.clusterUuid = clusterUuid;
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

  /**
   * The broker lookup. `kafka:GetBootstrapBrokers` has no resource type in IAM (the Service
   * Authorization Reference lists none), so only `*` grants it: a statement naming the cluster
   * ARN never matches and the lookup fails with AccessDenied in the account (found offline by
   * the runtime's IAM evaluator). DescribeClusterV2 does take the cluster.
   */
  private grantBootstrap(grantee: iam.IGrantable): void {
    this.grant(grantee, ["kafka:GetBootstrapBrokers"], ["*"]);
    this.grant(grantee, ["kafka:DescribeClusterV2"], [this.clusterArn]);
  }

  private grant(grantee: iam.IGrantable, actions: string[], resources: string[]): void {
    iam.Grant.addToPrincipal({ grantee, actions, resourceArns: resources });
  }

  private topicArns(topics: readonly string[]): string[] {
    return topics.map((t) => this.arn("topic", t));
  }

  private arn(kind: "topic" | "group", name: string): string {
    return Stack.of(this.scope).formatArn({
      service: "kafka",
      resource: kind,
      resourceName: `${this.clusterName}/${this.clusterUuid}/${name}`,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
  }
}

export interface LocalKafkaProps {
  /** The offline broker(s) on PLAINTEXT (self-managed mode). @default ["127.0.0.1:9092"] */
  readonly brokers?: readonly string[];
  /**
   * Wire the local broker as MSK IAM, as `Streaming` is: functions get `KAFKA_AUTH=iam`,
   * `MSK_CLUSTER_ARN` and `KAFKA_TLS=false` (the offline IAM listener is plaintext), the
   * same grants on the local cluster's ARNs, managed event sources, no placeholder secret.
   * The local runtime answers GetBootstrapBrokers with the broker's IAM listener and enforces
   * the grants (localstack/runtime/iam/kafka-acls.ts). @default undefined: self-managed Kafka
   */
  readonly mskIam?: { readonly clusterName: string };
}

/** The local cluster's fixed uuid, the last part of its ARN (MSK's are `<uuid>-<n>`). */
export const LOCAL_CLUSTER_UUID = "00000000-0000-0000-0000-000000000000-1";

/**
 * The local target's Kafka: the native broker. With `mskIam`, the AWS wiring under a local
 * cluster ARN. Without, self-managed Kafka: Lambda's construct insists on credentials for
 * brokers outside a VPC, so the stack holds a placeholder secret (the PLAINTEXT listener
 * takes none and the local runtime does not read it).
 */
export class LocalKafka extends Construct implements KafkaCluster {
  public readonly brokers: readonly string[];
  public readonly clientEnvironment: Record<string, string>;
  /** MSK IAM mode: `arn:aws:kafka:<region>:<account>:cluster/<name>/<LOCAL_CLUSTER_UUID>`. */
  public readonly clusterArn?: string;
  private readonly mskIam?: {
    readonly clusterName: string;
    readonly clusterArn: string;
    readonly grants: MskGrants;
  };
  private readonly credentials?: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: LocalKafkaProps = {}) {
    super(scope, id);
    this.brokers = props.brokers ?? LOCAL_DEFAULTS.kafkaBrokers.split(",");
    if (props.mskIam) {
      const { clusterName } = props.mskIam;
      const clusterArn = Stack.of(this).formatArn({
        service: "kafka",
        resource: "cluster",
        resourceName: `${clusterName}/${LOCAL_CLUSTER_UUID}`,
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      });
      const grants = new MskGrants(this, clusterArn, clusterName, LOCAL_CLUSTER_UUID);
      this.clusterArn = clusterArn;
      this.mskIam = { clusterName, clusterArn, grants };
      this.clientEnvironment = { KAFKA_AUTH: "iam", MSK_CLUSTER_ARN: clusterArn, KAFKA_TLS: "false" };
      return;
    }
    this.clientEnvironment = { KAFKA_AUTH: "none", KAFKA_BROKERS: this.brokers.join(",") };
    this.credentials = new secretsmanager.Secret(this, "Credentials", {
      description: "Placeholder: the local Kafka broker is PLAINTEXT",
      generateSecretString: { secretStringTemplate: '{"username":"local"}', generateStringKey: "password" },
    });
  }

  eventSource(topic: string, trigger: KafkaTrigger, groupId: string, onFailure: lambda.IEventSourceDlq) {
    const options = eventSourceOptions(trigger, groupId, onFailure);
    if (this.mskIam)
      return managedEventSource(this.mskIam.clusterArn, this.mskIam.clusterName, topic, options);
    return new SelfManagedKafkaEventSource({
      bootstrapServers: [...this.brokers],
      topic,
      secret: this.credentials,
      authenticationMethod: AuthenticationMethod.BASIC_AUTH,
      ...options,
    });
  }

  grantConsume(grantee: iam.IGrantable, topics: readonly string[], groupIds: readonly string[]): void {
    this.mskIam?.grants.grantConsume(grantee, topics, groupIds);
  }

  grantProduce(grantee: iam.IGrantable, topics: readonly string[]): void {
    this.mskIam?.grants.grantProduce(grantee, topics);
  }

  grantAdmin(grantee: iam.IGrantable, topics: readonly string[]): void {
    this.mskIam?.grants.grantAdmin(grantee, topics);
  }

  provisionTopics(handler: lambda.IFunction, topics: readonly TopicDefinition[]): CustomResource {
    // One offline broker: one copy.
    return topicsResource(this, handler, topics, 1);
  }
}
