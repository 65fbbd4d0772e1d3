/**
 * The IAM gateway in front of the real emulator, called as the template's roles (with the
 * temporary credentials the runtime issues to a role's session) with the real SDK v3 clients
 * and the AWS CLI: allowed calls reach the emulator, refused ones fail with the service's own
 * AccessDenied, the operator's key passes unevaluated, and what the gateway cannot map is
 * refused, not let through.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { promisify } from "node:util";
import { CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { GetBootstrapBrokersCommand, KafkaClient } from "@aws-sdk/client-kafka";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { ListExecutionsCommand, SFNClient } from "@aws-sdk/client-sfn";
import { CreateTopicCommand, PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { CreateQueueCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Template } from "../../localstack/runtime/assembly.ts";
import { CredentialStore, type TemporaryCredentials } from "../../localstack/runtime/iam/credentials.ts";
import {
  createAuthorizer,
  type Gateway,
  type GatewayDecision,
  startGateway,
} from "../../localstack/runtime/iam/index.ts";
import { arnOfResource, synthesizeTemplate } from "../fixtures/iam-template.ts";
import { failure } from "../fixtures/sessions.ts";
import { presignS3Get, signedS3Get } from "../fixtures/sigv4.ts";

const run = promisify(execFile);

const region = "us-east-1";
const CLUSTER =
  "arn:aws:kafka:us-east-1:000000000000:cluster/pipeline/11111111-2222-3333-4444-555555555555-s1";
/** The AWS CLI, from the environment or the venv the report names (skipped with the reason when absent). */
const AWS_CLI = process.env.AWS_CLI ?? "/tmp/g1-awscli/bin/aws";

let template: Template;
let gateway: Gateway;
const decisions: GatewayDecision[] = [];
/** The developer's own key: verified, then not evaluated. */
const OPERATOR = { accessKeyId: "test", secretAccessKey: "test" };
let store: CredentialStore;
const roleArn = (prefix: string) => arnOfResource(template, "AWS::IAM::Role", prefix);
const roleName = (prefix: string) => roleArn(prefix).split("/").pop() as string;
/** A session of the role, as the runtime issues one (its name is the runtime's default). */
const session = (prefix: string): TemporaryCredentials =>
  store.issue(roleArn(prefix), { sessionName: "local-runtime" });
const as = (prefix: string) => ({ endpoint: gateway.url, region, credentials: session(prefix) });
const asOperator = () => ({ endpoint: gateway.url, region, credentials: OPERATOR });
const operator = () => ({ ...asOperator(), endpoint: process.env.AWS_ENDPOINT_URL as string });

beforeAll(async () => {
  // The self-managed Kafka wiring keeps a Kafka credentials secret land-records' mapping reads:
  // a secret with a reader and a non-reader, for the Secrets Manager case.
  template = synthesizeTemplate({ target: "local", localKafkaIam: "false" });
  store = new CredentialStore({ operator: OPERATOR });
  gateway = await startGateway({
    authorizer: createAuthorizer(template),
    template,
    credentials: store,
    emulatorUrl: process.env.AWS_ENDPOINT_URL as string,
    clusters: [{ arn: CLUSTER, bootstrapBrokerStringSaslIam: "127.0.0.1:23092" }],
    onDecision: (d) => decisions.push(d),
  });
  const s3 = new S3Client({ ...operator(), forcePathStyle: true });
  for (const Bucket of ["pipeline-raw", "pipeline-quarantine"]) {
    await s3.send(new CreateBucketCommand({ Bucket })).catch(() => undefined);
  }
  await new DynamoDBClient(operator())
    .send(
      new CreateTableCommand({
        TableName: "pipeline-serving",
        KeySchema: [
          { AttributeName: "pk", KeyType: "HASH" },
          { AttributeName: "sk", KeyType: "RANGE" },
        ],
        AttributeDefinitions: [
          { AttributeName: "pk", AttributeType: "S" },
          { AttributeName: "sk", AttributeType: "S" },
        ],
        BillingMode: "PAY_PER_REQUEST",
      }),
    )
    .catch(() => undefined);
  await new SQSClient(operator()).send(new CreateQueueCommand({ QueueName: "pipeline-local-failures" }));
  await new SNSClient(operator()).send(new CreateTopicCommand({ Name: "pipeline-local-alerts" }));
  await new SecretsManagerClient(operator())
    .send(new CreateSecretCommand({ Name: "StreamingCredentials6D9E3704", SecretString: "{}" }))
    .catch(() => undefined);
}, 120_000);

afterAll(async () => {
  await gateway?.close();
});

describe("the IAM gateway with the SDK v3 clients", () => {
  it("S3: land-records writes raw/ (a 5 MB object streams through), may not read it back", async () => {
    const role = roleName("IngestionLandRecordsServiceRole");
    const s3 = new S3Client({ ...as(role), forcePathStyle: true });
    const started = Date.now();
    await s3.send(
      new PutObjectCommand({ Bucket: "pipeline-raw", Key: "raw/iam/a.bin", Body: Buffer.alloc(5 << 20, 7) }),
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    await s3.send(new ListObjectsV2Command({ Bucket: "pipeline-raw", Prefix: "raw/" }));
    const denied = await failure(
      s3.send(new GetObjectCommand({ Bucket: "pipeline-raw", Key: "raw/iam/a.bin" })),
    );
    expect(denied.name).toBe("AccessDenied");
    expect(denied.$metadata?.httpStatusCode).toBe(403);
    expect(denied.message).toBe(
      `User: arn:aws:sts::000000000000:assumed-role/${role}/local-runtime is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::pipeline-raw/raw/iam/a.bin" because no identity-based policy allows the s3:GetObject action`,
    );
    const head = await failure(
      s3.send(new HeadObjectCommand({ Bucket: "pipeline-raw", Key: "raw/iam/a.bin" })),
    );
    expect(head.$metadata?.httpStatusCode).toBe(403);
    const last = decisions.findLast((d) => d.action === "s3:GetObject");
    expect(last).toMatchObject({ allowed: false, service: "s3", operation: "HeadObject" });
    expect(last?.explanation).toContain("no statement in its policies allows it");
  });

  it("S3: multipart uploads need s3:PutObject; a copy also needs s3:GetObject on its source", async () => {
    const s3 = new S3Client({ ...as("IngestionLandRecordsServiceRole"), forcePathStyle: true });
    const target = { Bucket: "pipeline-raw", Key: "raw/iam/multipart.bin" };
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand(target));
    const part = await s3.send(
      new UploadPartCommand({ ...target, UploadId, PartNumber: 1, Body: Buffer.alloc(5 << 20, 1) }),
    );
    await s3.send(
      new CompleteMultipartUploadCommand({
        ...target,
        UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] },
      }),
    );
    const copy = await failure(
      s3.send(
        new CopyObjectCommand({
          ...target,
          Key: "raw/iam/copy.bin",
          CopySource: "pipeline-raw/raw/iam/multipart.bin",
        }),
      ),
    );
    expect(copy.name).toBe("AccessDenied");
    expect(copy.message).toContain(
      's3:GetObject on resource: "arn:aws:s3:::pipeline-raw/raw/iam/multipart.bin"',
    );
  });

  it("S3: the operator's key passes unevaluated", async () => {
    const s3 = new S3Client({ ...asOperator(), forcePathStyle: true });
    const object = await s3.send(new GetObjectCommand({ Bucket: "pipeline-raw", Key: "raw/iam/a.bin" }));
    expect((await object.Body?.transformToByteArray())?.length).toBe(5 << 20);
  });

  it("DynamoDB: aggregate writes the serving table, land-records may not read it", async () => {
    const item = { pk: { S: "t" }, sk: { S: "partition#0" } };
    await new DynamoDBClient(as("IngestionAggregateServiceRole")).send(
      new PutItemCommand({ TableName: "pipeline-serving", Item: item }),
    );
    const denied = await failure(
      new DynamoDBClient(as("IngestionLandRecordsServiceRole")).send(
        new GetItemCommand({ TableName: "pipeline-serving", Key: item }),
      ),
    );
    expect(denied.name).toBe("AccessDeniedException");
    expect(denied.message).toMatch(
      /is not authorized to perform: dynamodb:GetItem on resource: arn:aws:dynamodb:us-east-1:000000000000:table\/pipeline-serving because/,
    );
  });

  it("SQS: land-records sends to the failures queue, the dashboard may not", async () => {
    const QueueUrl = `${gateway.url}/000000000000/pipeline-local-failures`;
    await new SQSClient(as("IngestionLandRecordsServiceRole")).send(
      new SendMessageCommand({ QueueUrl, MessageBody: "x" }),
    );
    const denied = await failure(
      new SQSClient(as("IngestionDashboardApiServiceRole")).send(
        new SendMessageCommand({ QueueUrl, MessageBody: "x" }),
      ),
    );
    expect(denied.name).toBe("AccessDenied");
    expect(denied.message).toContain(
      "sqs:SendMessage on resource: arn:aws:sqs:us-east-1:000000000000:pipeline-local-failures",
    );
  });

  it("SNS: a role without sns:Publish gets AuthorizationError", async () => {
    const denied = await failure(
      new SNSClient(as("IngestionLandRecordsServiceRole")).send(
        new PublishCommand({
          TopicArn: "arn:aws:sns:us-east-1:000000000000:pipeline-local-alerts",
          Message: "m",
        }),
      ),
    );
    expect(denied.name).toBe("AuthorizationErrorException");
    expect(denied.message).toContain(
      "SNS:Publish on resource: arn:aws:sns:us-east-1:000000000000:pipeline-local-alerts",
    );
  });

  it("Secrets Manager: land-records reads the streaming credentials, the dashboard may not", async () => {
    const SecretId = "arn:aws:secretsmanager:us-east-1:000000000000:secret:StreamingCredentials6D9E3704";
    await new SecretsManagerClient(as("IngestionLandRecordsServiceRole")).send(
      new GetSecretValueCommand({ SecretId }),
    );
    const denied = await failure(
      new SecretsManagerClient(as("IngestionDashboardApiServiceRole")).send(
        new GetSecretValueCommand({ SecretId }),
      ),
    );
    expect(denied.name).toBe("AccessDeniedException");
  });

  it("Step Functions: a role without states:ListExecutions is refused", async () => {
    const stateMachineArn = arnOfResource(template, "AWS::StepFunctions::StateMachine");
    const denied = await failure(
      new SFNClient(as("IngestionLandRecordsServiceRole")).send(
        new ListExecutionsCommand({ stateMachineArn }),
      ),
    );
    expect(denied.name).toBe("AccessDeniedException");
    expect(denied.message).toContain(`states:ListExecutions on resource: ${stateMachineArn}`);
  });

  it("Lambda: invoking a function the role has no right to is refused", async () => {
    const denied = await failure(
      new LambdaClient(as("IngestionLandRecordsServiceRole")).send(
        new InvokeCommand({ FunctionName: "pipeline-local-load-raw", Payload: Buffer.from("{}") }),
      ),
    );
    expect(denied.name).toBe("AccessDeniedException");
    expect(denied.$metadata?.httpStatusCode).toBe(403);
  });

  it("MSK: GetBootstrapBrokers is answered by the gateway, under IAM", async () => {
    const answer = await new KafkaClient(asOperator()).send(
      new GetBootstrapBrokersCommand({ ClusterArn: CLUSTER }),
    );
    expect(answer.BootstrapBrokerStringSaslIam).toBe("127.0.0.1:23092");
    const denied = await failure(
      new KafkaClient(as("IngestionDashboardApiServiceRole")).send(
        new GetBootstrapBrokersCommand({ ClusterArn: CLUSTER }),
      ),
    );
    expect(denied.name).toBe("AccessDeniedException");
    // IAM judges the lookup on "*": the action has no resource type.
    expect(denied.message).toContain("kafka:GetBootstrapBrokers on resource: *");
  });

  it("S3: a SigV4 presigned URL acts as the role that signed it (X-Amz-Credential)", async () => {
    const presign = (credentials: { accessKeyId: string; secretAccessKey: string }) =>
      presignS3Get(gateway.url, credentials, "/pipeline-raw/raw/iam/a.bin");
    const denied = await fetch(await presign(session("IngestionLandRecordsServiceRole")));
    expect(denied.status).toBe(403);
    expect(await denied.text()).toContain("<Code>AccessDenied</Code>");
    expect((await fetch(await presign(OPERATOR))).status).toBe(200);
  });

  it("refuses what it cannot map, naming the method and path", async () => {
    const response = await signedS3Get(
      gateway.url,
      session("IngestionLandRecordsServiceRole"),
      "/pipeline-raw",
      {
        analytics: "",
      },
    );
    expect(response.status).toBe(403);
    expect(await response.text()).toContain(
      "the offline gateway cannot tell which IAM action this is: GET /pipeline-raw?analytics",
    );
  });
});

describe("an emulator that drops the connection before answering (it was stopped mid-call)", () => {
  it("answers the caller 502 at once, not never (regression: a PutObject hung to the function's timeout)", {
    timeout: 20_000,
  }, async () => {
    // Prepare: an "emulator" that reads the whole request, then closes the socket unanswered.
    const dropping = createServer((req) => {
      req.resume();
      req.on("end", () => req.socket.destroy());
    });
    await new Promise<void>((resolve) => dropping.listen(0, "127.0.0.1", resolve));
    const { port } = dropping.address() as AddressInfo;
    const shortLived = await startGateway({
      authorizer: createAuthorizer(template),
      template,
      credentials: store,
      emulatorUrl: `http://127.0.0.1:${port}`,
    });
    try {
      const s3 = new S3Client({
        endpoint: shortLived.url,
        region,
        credentials: OPERATOR,
        forcePathStyle: true,
        maxAttempts: 1,
      });

      // Act
      const error = await s3
        .send(new PutObjectCommand({ Bucket: "pipeline-raw", Key: "raw/iam/dropped.bin", Body: "x" }))
        .then(
          () => undefined,
          (e: { $metadata?: { httpStatusCode?: number } }) => e,
        );

      // Assess
      expect(error?.$metadata?.httpStatusCode).toBe(502);
    } finally {
      await shortLived.close();
      dropping.close();
    }
  });
});

/**
 * Size limits AWS enforces at call time, checked against the emulator through the gateway:
 * moto refuses them itself as AWS does (SQS: 1 MiB since AWS raised it from 256 KB in
 * August 2025; SNS: 256 KB; DynamoDB: 400 KB items), so the gateway adds no check of its own.
 * A moto upgrade that stops refusing them fails here.
 */
describe("call-time limits the emulator refuses as AWS does", () => {
  it("SQS message above 1 MiB, SNS message above 256 KB, DynamoDB item above 400 KB", async () => {
    const role = roleName("IngestionLandRecordsServiceRole");
    const QueueUrl = `${gateway.url}/000000000000/pipeline-local-failures`;
    const sqs = new SQSClient(as(role));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "x".repeat(262_145) }));
    const big = await failure(
      sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "x".repeat(1_048_577) })),
    );
    expect(big.name).toBe("InvalidParameterValue");
    const sns = await failure(
      new SNSClient(asOperator()).send(
        new PublishCommand({
          TopicArn: "arn:aws:sns:us-east-1:000000000000:pipeline-local-alerts",
          Message: "x".repeat(262_145),
        }),
      ),
    );
    expect(sns.name).toBe("InvalidParameterException");
    const item = await failure(
      new DynamoDBClient(as("IngestionAggregateServiceRole")).send(
        new PutItemCommand({
          TableName: "pipeline-serving",
          Item: { pk: { S: "t" }, sk: { S: "big" }, v: { S: "x".repeat(410_000) } },
        }),
      ),
    );
    expect(item.name).toBe("ValidationException");
    expect(item.message).toBe("Item size has exceeded the maximum allowed size");
  });
});

describe.skipIf(!existsSync(AWS_CLI))(`the IAM gateway with the AWS CLI (${AWS_CLI})`, () => {
  const cli = (
    credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string },
    ...args: string[]
  ) =>
    run(AWS_CLI, ["--endpoint-url", gateway.url, "--region", region, ...args], {
      env: {
        ...process.env,
        AWS_ACCESS_KEY_ID: credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
        AWS_SESSION_TOKEN: credentials.sessionToken ?? "",
      },
    });

  it("allowed calls succeed, refused ones fail with AccessDenied, the operator passes", async () => {
    const role = session("IngestionLandRecordsServiceRole");
    await cli(
      role,
      "s3api",
      "put-object",
      "--bucket",
      "pipeline-raw",
      "--key",
      "raw/iam/cli.txt",
      "--body",
      "/etc/hostname",
    );
    const denied = await failure(
      cli(role, "s3api", "get-object", "--bucket", "pipeline-raw", "--key", "raw/iam/cli.txt", "/dev/null"),
    );
    expect((denied as Error & { stderr: string }).stderr).toContain(
      "(AccessDenied) when calling the GetObject operation: User: arn:aws:sts::000000000000:assumed-role/",
    );
    const table = await failure(
      cli(
        role,
        "dynamodb",
        "get-item",
        "--table-name",
        "pipeline-serving",
        "--key",
        '{"pk":{"S":"t"},"sk":{"S":"partition#0"}}',
      ),
    );
    expect((table as Error & { stderr: string }).stderr).toContain(
      "(AccessDeniedException) when calling the GetItem operation",
    );
    await cli(
      OPERATOR,
      "s3api",
      "get-object",
      "--bucket",
      "pipeline-raw",
      "--key",
      "raw/iam/cli.txt",
      "/dev/null",
    );
  });

  it("a SigV2 presigned URL (what `aws s3 presign` of the CLI v1 writes) is refused, as S3 refuses SigV2 for buckets made since June 2020", async () => {
    const presign = async (credentials: { accessKeyId: string; secretAccessKey: string }) =>
      (await cli(credentials, "s3", "presign", "s3://pipeline-raw/raw/iam/cli.txt")).stdout.trim();
    for (const credentials of [session("IngestionLandRecordsServiceRole"), OPERATOR]) {
      const url = await presign(credentials);
      expect(url).toContain("AWSAccessKeyId=");
      const refused = await fetch(url);
      expect(refused.status).toBe(400);
      expect(await refused.text()).toContain("<Code>InvalidRequest</Code>");
    }
  });
});
