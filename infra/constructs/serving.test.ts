/** Template tests of the serving table and the aggregate function's wiring (AWS and local targets). */
import { Match } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { functionId, resourcesOf, synthesize } from "../../test/fixtures/stacks.ts";

describe("serving table and aggregate (AWS target)", () => {
  const { template } = synthesize();

  it("keeps the aggregates in one on-demand, encrypted, point-in-time-recoverable, retained table", () => {
    template.resourceCountIs("AWS::DynamoDB::Table", 1);
    template.hasResource("AWS::DynamoDB::Table", {
      DeletionPolicy: "Retain",
      Properties: {
        BillingMode: "PAY_PER_REQUEST",
        KeySchema: [
          { AttributeName: "pk", KeyType: "HASH" },
          { AttributeName: "sk", KeyType: "RANGE" },
        ],
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
      },
    });
  });

  it("triggers aggregate on the votes topic with a short batching window, bounded retries and an on-failure destination", () => {
    const aggregate = functionId(template, "aggregate");
    template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      FunctionName: { Ref: aggregate },
      Topics: ["elections.votes"],
      MaximumBatchingWindowInSeconds: 1,
      MaximumRetryAttempts: 5,
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
    });
  });

  it("gives aggregate the table's name and exact item actions on that table only", () => {
    const aggregate = functionId(template, "aggregate");
    const table = Object.keys(resourcesOf(template, "AWS::DynamoDB::Table"))[0] as string;
    template.hasResourceProperties("AWS::Lambda::Function", {
      Environment: {
        Variables: Match.objectLike({ PIPELINE_FUNCTION: "aggregate", SERVING_TABLE: { Ref: table } }),
      },
    });
    const fn = resourcesOf(template, "AWS::Lambda::Function")[aggregate];
    const role = (fn?.Properties?.Role as { "Fn::GetAtt": string[] } | undefined)?.["Fn::GetAtt"][0];
    const statements = Object.values(resourcesOf(template, "AWS::IAM::Policy"))
      .filter((p) => JSON.stringify(p.Properties?.Roles) === JSON.stringify([{ Ref: role }]))
      .flatMap(
        (p) =>
          (p.Properties?.PolicyDocument as { Statement: { Action: unknown }[] } | undefined)?.Statement ?? [],
      )
      .filter((s) => JSON.stringify(s.Action).includes("dynamodb:"));
    expect(statements).toEqual([
      {
        Effect: "Allow",
        Action: [
          "dynamodb:GetItem",
          "dynamodb:Query",
          "dynamodb:PutItem",
          "dynamodb:UpdateItem",
          "dynamodb:BatchGetItem",
          "dynamodb:BatchWriteItem",
        ],
        Resource: { "Fn::GetAtt": [table, "Arn"] },
      },
    ]);
  });

  it("reaches DynamoDB from the VPC through a gateway endpoint", () => {
    template.hasResourceProperties("AWS::EC2::VPCEndpoint", {
      ServiceName: Match.objectLike({ "Fn::Join": Match.arrayWith([Match.arrayWith([".dynamodb"])]) }),
      VpcEndpointType: "Gateway",
    });
  });
});

describe("serving table (local target)", () => {
  const { template } = synthesize({ target: "local" });

  it("uses the name core/config defaults to, as a literal the local runtime reads", () => {
    template.hasResourceProperties("AWS::DynamoDB::Table", { TableName: "pipeline-serving" });
    template.hasResourceProperties("AWS::Lambda::Function", {
      Environment: {
        Variables: Match.objectLike({ PIPELINE_FUNCTION: "aggregate", SERVING_TABLE: "pipeline-serving" }),
      },
    });
  });
});
