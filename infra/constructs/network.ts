/**
 * Network: the VPC the Kafka cluster and the Kafka-facing functions live in.
 *
 * No NAT gateway by default (it is the biggest idle cost): private subnets are isolated and
 * reach AWS services through endpoints — S3 through a gateway endpoint, and interface
 * endpoints for what the Kafka event source mapping pollers and the Kafka clients call
 * (Lambda, STS, SQS for the on-failure destination, MSK for GetBootstrapBrokers).
 * What must outlive a function's last call on stack delete or rollback (the S3 route the
 * topics provisioner answers CloudFormation through) is everything under {@link vpc}: the
 * stack makes the custom resource depend on it, so it is deleted first.
 * Public subnets exist for the dbt Fargate task, which needs the internet (Snowflake, ECR)
 * and gets a public IP instead of a NAT gateway; nothing listens on them.
 */
import type { RemovalPolicy } from "aws-cdk-lib";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as logs from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";

/** Kafka listener ports with IAM auth: 9098 (inside the VPC), 9198 (public access). */
export const KAFKA_IAM_PORT = 9098;

export interface NetworkProps {
  /** One NAT gateway for private-subnet egress (e.g. the stock API poller). @default false */
  readonly natGateway?: boolean;
  /** Availability zones (MSK Serverless needs at least two). @default 2 */
  readonly maxAzs?: number;
  /** Flow log retention (the stack's `logRetentionDays`). @default logs.RetentionDays.ONE_MONTH */
  readonly flowLogRetention?: logs.RetentionDays;
  /** Of the flow log group (the stack's `removalPolicy`). @default RemovalPolicy.RETAIN */
  readonly flowLogRemovalPolicy?: RemovalPolicy;
}

export class Network extends Construct {
  public readonly vpc: ec2.Vpc;
  /** Subnets of the cluster and the Kafka-facing functions. */
  public readonly privateSubnets: ec2.SubnetSelection;
  /** Subnets of the dbt task (public IP, no inbound rules). */
  public readonly taskSubnets: ec2.SubnetSelection;
  /** Attached to the MSK cluster; open only to {@link kafkaClients} on the Kafka port. */
  public readonly clusterSecurityGroup: ec2.SecurityGroup;
  /** Attached to every Kafka-facing function. */
  public readonly kafkaClients: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: NetworkProps = {}) {
    super(scope, id);
    const nat = props.natGateway ?? false;
    const privateType = nat ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PRIVATE_ISOLATED;
    this.vpc = new ec2.Vpc(this, "Vpc", {
      maxAzs: props.maxAzs ?? 2,
      natGateways: nat ? 1 : 0,
      subnetConfiguration: [
        { name: "public", subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
        { name: "private", subnetType: privateType, cidrMask: 22 },
      ],
      flowLogs: {
        all: {
          destination: ec2.FlowLogDestination.toCloudWatchLogs(
            new logs.LogGroup(this, "FlowLogs", {
              retention: props.flowLogRetention ?? logs.RetentionDays.ONE_MONTH,
              removalPolicy: props.flowLogRemovalPolicy,
            }),
          ),
          trafficType: ec2.FlowLogTrafficType.REJECT,
        },
      },
      gatewayEndpoints: { S3: { service: ec2.GatewayVpcEndpointAwsService.S3 } },
    });
    this.privateSubnets = { subnetType: privateType };
    this.taskSubnets = { subnetType: ec2.SubnetType.PUBLIC };

    this.kafkaClients = new ec2.SecurityGroup(this, "KafkaClients", {
      vpc: this.vpc,
      description: "Kafka-facing functions",
      allowAllOutbound: false,
    });
    this.clusterSecurityGroup = new ec2.SecurityGroup(this, "Cluster", {
      vpc: this.vpc,
      description: "MSK cluster: Kafka IAM port from the Kafka clients only",
      allowAllOutbound: false,
    });
    this.clusterSecurityGroup.addIngressRule(
      this.kafkaClients,
      ec2.Port.tcp(KAFKA_IAM_PORT),
      "Kafka (IAM) from functions",
    );
    // The event source mapping pollers reach the brokers through ENIs in the cluster's subnets
    // with the cluster's security group: it must admit itself on the Kafka port.
    this.clusterSecurityGroup.addIngressRule(
      this.clusterSecurityGroup,
      ec2.Port.tcp(KAFKA_IAM_PORT),
      "Kafka (IAM) from the Lambda pollers",
    );
    this.clusterSecurityGroup.addEgressRule(
      this.clusterSecurityGroup,
      ec2.Port.tcp(KAFKA_IAM_PORT),
      "Lambda pollers to the brokers",
    );
    this.kafkaClients.addEgressRule(
      this.clusterSecurityGroup,
      ec2.Port.tcp(KAFKA_IAM_PORT),
      "to the brokers",
    );

    const endpoints = new ec2.SecurityGroup(this, "Endpoints", {
      vpc: this.vpc,
      description: "Interface endpoints: HTTPS from the VPC",
      allowAllOutbound: false,
    });
    endpoints.addIngressRule(ec2.Peer.ipv4(this.vpc.vpcCidrBlock), ec2.Port.tcp(443), "HTTPS from the VPC");
    const https = ec2.Port.tcp(443);
    // HTTPS out: without NAT the only routes are the S3 gateway and the interface endpoints.
    this.kafkaClients.addEgressRule(ec2.Peer.anyIpv4(), https, "HTTPS to S3, endpoints (and NAT when on)");
    this.clusterSecurityGroup.addEgressRule(endpoints, https, "pollers to Lambda, STS, SQS");

    const services = {
      Lambda: ec2.InterfaceVpcEndpointAwsService.LAMBDA,
      Sts: ec2.InterfaceVpcEndpointAwsService.STS,
      Sqs: ec2.InterfaceVpcEndpointAwsService.SQS,
      Kafka: new ec2.InterfaceVpcEndpointService(`com.amazonaws.${this.vpc.stack.region}.kafka`, 443),
    };
    for (const [name, service] of Object.entries(services)) {
      this.vpc.addInterfaceEndpoint(name, {
        service,
        subnets: this.privateSubnets,
        securityGroups: [endpoints],
        privateDnsEnabled: true,
      });
    }
  }
}
