import { describe, expect, it } from "vitest";
import { type ApiRequest, mapRequest } from "./actions.ts";

const request = (
  service: string,
  method: string,
  url: string,
  extra: Partial<ApiRequest> = {},
): ApiRequest => {
  const parsed = new URL(url, "http://127.0.0.1:1");
  return {
    service,
    region: "us-east-1",
    method,
    path: parsed.pathname,
    query: parsed.searchParams,
    headers: { host: "127.0.0.1:1" },
    ...extra,
  };
};

describe("which IAM actions an AWS API request needs", () => {
  it("S3 listing is s3:ListBucket on the bucket with s3:prefix", () => {
    expect(mapRequest(request("s3", "GET", "/b?list-type=2&prefix=raw%2Fx&delimiter=%2F"))).toEqual({
      operation: "ListObjectsV2",
      protocol: "s3",
      access: [
        {
          action: "s3:ListBucket",
          resource: "arn:aws:s3:::b",
          context: { "s3:prefix": "raw/x", "s3:delimiter": "/" },
        },
      ],
    });
  });

  it("S3 subresources, object keys (decoded) and versions", () => {
    expect(mapRequest(request("s3", "GET", "/b?location"))?.access).toEqual([
      { action: "s3:GetBucketLocation", resource: "arn:aws:s3:::b" },
    ]);
    expect(mapRequest(request("s3", "GET", "/b/dt%3D2026-01-01/a%20b.gz?versionId=1"))?.access).toEqual([
      { action: "s3:GetObjectVersion", resource: "arn:aws:s3:::b/dt=2026-01-01/a b.gz" },
    ]);
    expect(mapRequest(request("s3", "PUT", "/b/k?partNumber=1&uploadId=u"))?.operation).toBe("UploadPart");
    expect(mapRequest(request("s3", "GET", "/b?analytics"))).toBeUndefined();
  });

  it("S3 DeleteObjects needs s3:DeleteObject on every key", () => {
    const body = Buffer.from(
      "<Delete><Object><Key>a&amp;b</Key></Object><Object><Key>c</Key></Object></Delete>",
    );
    expect(mapRequest(request("s3", "POST", "/b?delete", { body }))?.access).toEqual([
      { action: "s3:DeleteObject", resource: "arn:aws:s3:::b/a&b" },
      { action: "s3:DeleteObject", resource: "arn:aws:s3:::b/c" },
    ]);
  });

  it("DynamoDB batches need the action on every table; indexes are their own resource", () => {
    const body = Buffer.from(JSON.stringify({ RequestItems: { t1: [], t2: [] } }));
    const headers = { "x-amz-target": "DynamoDB_20120810.BatchWriteItem" };
    expect(
      mapRequest(request("dynamodb", "POST", "/", { body, headers }))?.access.map((a) => a.resource),
    ).toEqual([
      "arn:aws:dynamodb:us-east-1:000000000000:table/t1",
      "arn:aws:dynamodb:us-east-1:000000000000:table/t2",
    ]);
    const query = Buffer.from(JSON.stringify({ TableName: "t", IndexName: "i" }));
    expect(
      mapRequest(
        request("dynamodb", "POST", "/", {
          body: query,
          headers: { "x-amz-target": "DynamoDB_20120810.Query" },
        }),
      )?.access,
    ).toEqual([
      { action: "dynamodb:Query", resource: "arn:aws:dynamodb:us-east-1:000000000000:table/t/index/i" },
    ]);
  });

  it("authorizes a DynamoDB transaction as its items' own actions (IAM has no TransactWriteItems action)", () => {
    const body = Buffer.from(
      JSON.stringify({
        TransactItems: [
          { Put: { TableName: "t" } },
          { Put: { TableName: "t" } },
          { ConditionCheck: { TableName: "u" } },
        ],
      }),
    );
    const headers = { "x-amz-target": "DynamoDB_20120810.TransactWriteItems" };

    expect(mapRequest(request("dynamodb", "POST", "/", { body, headers }))?.access).toEqual([
      { action: "dynamodb:PutItem", resource: "arn:aws:dynamodb:us-east-1:000000000000:table/t" },
      { action: "dynamodb:ConditionCheckItem", resource: "arn:aws:dynamodb:us-east-1:000000000000:table/u" },
    ]);
  });

  it("SQS in both protocols, SNS in the query protocol, Lambda by name or ARN with a qualifier", () => {
    const json = request("sqs", "POST", "/", {
      headers: { "x-amz-target": "AmazonSQS.SendMessage" },
      body: Buffer.from(JSON.stringify({ QueueUrl: "http://127.0.0.1:1/000000000000/q" })),
    });
    expect(mapRequest(json)?.access).toEqual([
      { action: "sqs:SendMessage", resource: "arn:aws:sqs:us-east-1:000000000000:q" },
    ]);
    const query = request("sqs", "POST", "/000000000000/q", { body: Buffer.from("Action=ReceiveMessage") });
    expect(mapRequest(query)?.access[0]).toEqual({
      action: "sqs:ReceiveMessage",
      resource: "arn:aws:sqs:us-east-1:000000000000:q",
    });
    // A batch operation is authorized as its single one (IAM has no sqs:DeleteMessageBatch).
    const batch = request("sqs", "POST", "/", {
      headers: { "x-amz-target": "AmazonSQS.DeleteMessageBatch" },
      body: Buffer.from(JSON.stringify({ QueueUrl: "http://127.0.0.1:1/000000000000/q", Entries: [] })),
    });
    expect(mapRequest(batch)?.access).toEqual([
      { action: "sqs:DeleteMessage", resource: "arn:aws:sqs:us-east-1:000000000000:q" },
    ]);
    const queryBatch = request("sqs", "POST", "/000000000000/q", {
      body: Buffer.from("Action=ChangeMessageVisibilityBatch"),
    });
    expect(mapRequest(queryBatch)?.access[0]?.action).toBe("sqs:ChangeMessageVisibility");
    const sns = request("sns", "POST", "/", {
      body: Buffer.from("Action=Publish&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A0%3At"),
    });
    expect(mapRequest(sns)?.access).toEqual([
      { action: "sns:Publish", resource: "arn:aws:sns:us-east-1:0:t" },
    ]);
    expect(
      mapRequest(request("lambda", "POST", "/2015-03-31/functions/f/invocations?Qualifier=live"))?.access,
    ).toEqual([
      { action: "lambda:InvokeFunction", resource: "arn:aws:lambda:us-east-1:000000000000:function:f:live" },
    ]);
  });

  it("MSK control plane by cluster ARN; an unknown service is unmapped", () => {
    const arn = "arn:aws:kafka:us-east-1:000000000000:cluster/c/uuid";
    expect(
      mapRequest(request("kafka", "GET", `/v1/clusters/${encodeURIComponent(arn)}/bootstrap-brokers`))
        ?.access,
    ).toEqual([{ action: "kafka:GetBootstrapBrokers", resource: "*" }]);
    expect(
      mapRequest(request("kafka", "GET", `/api/v2/clusters/${encodeURIComponent(arn)}`))?.operation,
    ).toBe("DescribeClusterV2");
    expect(mapRequest(request("ec2", "POST", "/"))).toBeUndefined();
  });
});
