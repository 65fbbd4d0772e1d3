/**
 * The emulator's own port is no way around the IAM gateway: a process that ignores
 * AWS_ENDPOINT_URL and calls the emulator directly with a sandbox's session credentials is
 * refused as AWS refuses a key it does not know (S3 InvalidAccessKeyId, SQS/SNS/STS
 * InvalidClientTokenId, JSON services UnrecognizedClientException), an unsigned request as AWS
 * refuses one; the operator's own key (the CLI's, the tests' setup) is served there, and the
 * gateway's forwarded requests (the set's secret header) are served too. Before, moto served
 * anything it was sent. Also here: STS GetCallerIdentity through the gateway names the
 * sandbox's session, to the AWS CLI and the SDK.
 */
import { execFile } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { promisify } from "node:util";
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { ListTopicsCommand, SNSClient } from "@aws-sdk/client-sns";
import { CreateQueueCommand, ListQueuesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { operatorKey, RuntimeAccess } from "../../localstack/runtime/access.ts";
import type { Template } from "../../localstack/runtime/assembly.ts";
import { GATEWAY_HEADER } from "../../localstack/runtime/iam/gateway.ts";
import { gatewaySecretFile, readGatewaySecret } from "../../localstack/services/aws-emulator/aws-emulator.ts";
import { recordingFile } from "../../localstack/services/aws-emulator/persistence.ts";
import { servicesSettings } from "../../localstack/services/index.ts";
import { arnOfResource, synthesizeTemplate } from "../fixtures/iam-template.ts";
import { failure, type SessionCredentials, sandboxCredentials } from "../fixtures/sessions.ts";

const run = promisify(execFile);
const region = "us-east-1";
const AWS_CLI = process.env.AWS_CLI ?? "aws";
const LAND = "IngestionLandRecordsServiceRole";

let template: Template;
let access: RuntimeAccess;
const emulator = () => process.env.AWS_ENDPOINT_URL as string;

/** What land-records' sandbox gets: its role session's credentials, and the gateway as endpoint. */
const sandbox = () =>
  sandboxCredentials(access, arnOfResource(template, "AWS::IAM::Role", LAND), "land-records");

const client = { region, maxAttempts: 1 };
const putRaw = (endpoint: string, credentials: SessionCredentials, key: string) =>
  new S3Client({ ...client, endpoint, forcePathStyle: true, credentials }).send(
    new PutObjectCommand({ Bucket: "pipeline-raw", Key: key, Body: "direct" }),
  );

const cli = (endpoint: string, credentials: SessionCredentials, ...args: string[]) =>
  run(AWS_CLI, ["--endpoint-url", endpoint, "--region", region, "--output", "json", ...args], {
    env: {
      ...process.env,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_SESSION_TOKEN: credentials.sessionToken ?? "",
      AWS_MAX_ATTEMPTS: "1",
    },
  });

beforeAll(async () => {
  template = synthesizeTemplate({ target: "local", localKafkaIam: "false" });
  access = await RuntimeAccess.start({ template, log: () => undefined, enforce: true });
  const operator = { ...client, endpoint: emulator(), credentials: operatorKey() };
  await new S3Client({ ...operator, forcePathStyle: true })
    .send(new CreateBucketCommand({ Bucket: "pipeline-raw" }))
    .catch(() => undefined);
  await new SQSClient(operator).send(new CreateQueueCommand({ QueueName: "pipeline-local-failures" }));
}, 120_000);

afterAll(async () => {
  await access?.close();
});

describe("the emulator's port serves the gateway and the operator only", () => {
  it("refuses a sandbox's credentials sent straight to the emulator, as AWS refuses an unknown key (SDK v3)", async () => {
    const land = sandbox();
    // The same call through the gateway is allowed: land-records may write raw/.
    await putRaw(access.endpoint, land, "raw/emulator-port/through-gateway.txt");

    const s3 = await failure(putRaw(emulator(), land, "raw/emulator-port/direct.txt"));
    expect(s3.name).toBe("InvalidAccessKeyId");
    expect(s3.$metadata?.httpStatusCode).toBe(403);
    const sqs = await failure(
      new SQSClient({ ...client, endpoint: emulator(), credentials: land }).send(new ListQueuesCommand({})),
    );
    expect(sqs.name).toBe("InvalidClientTokenId");
    const sns = await failure(
      new SNSClient({ ...client, endpoint: emulator(), credentials: land }).send(new ListTopicsCommand({})),
    );
    expect(sns.name).toBe("InvalidClientTokenId");
    const dynamodb = await failure(
      new DynamoDBClient({ ...client, endpoint: emulator(), credentials: land }).send(
        new ListTablesCommand({}),
      ),
    );
    expect(dynamodb.name).toBe("UnrecognizedClientException");
    const sts = await failure(
      new STSClient({ ...client, endpoint: emulator(), credentials: land }).send(
        new GetCallerIdentityCommand({}),
      ),
    );
    expect(sts.name).toBe("InvalidClientTokenId");
  });

  it("refuses them to the AWS CLI too, and an unsigned request; serves the operator's key", async () => {
    const land = sandbox();
    const direct = await failure(cli(emulator(), land, "s3api", "list-buckets"));
    expect(direct.stderr).toContain("(InvalidAccessKeyId) when calling the ListBuckets operation");
    const dynamodb = await failure(cli(emulator(), land, "dynamodb", "list-tables"));
    expect(dynamodb.stderr).toContain("(UnrecognizedClientException) when calling the ListTables operation");

    const unsigned = await fetch(`${emulator()}/pipeline-raw?list-type=2`);
    expect(unsigned.status).toBe(403);
    expect(await unsigned.text()).toContain("<Code>AccessDenied</Code>");

    const listed = JSON.parse((await cli(emulator(), operatorKey(), "s3api", "list-buckets")).stdout) as {
      Buckets: Array<{ Name: string }>;
    };
    expect(listed.Buckets.map((b) => b.Name)).toContain("pipeline-raw");
    await putRaw(emulator(), operatorKey(), "raw/emulator-port/operator.txt");
  });

  it("serves what the gateway forwards only with the set's secret: a sandbox can't claim the header, nor guess it", async () => {
    const land = sandbox();
    const file = gatewaySecretFile(servicesSettings());
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const secret = readGatewaySecret(servicesSettings()) as string;
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    // A forged header, to the emulator directly: refused, whatever the key.
    const forged = new S3Client({ ...client, endpoint: emulator(), forcePathStyle: true, credentials: land });
    forged.middlewareStack.add(
      (next) => async (args) => {
        (args.request as { headers: Record<string, string> }).headers[GATEWAY_HEADER] = "0".repeat(64);
        return next(args);
      },
      { step: "build" },
    );
    const claimed = await failure(
      forged.send(
        new PutObjectCommand({ Bucket: "pipeline-raw", Key: "raw/emulator-port/forged.txt", Body: "x" }),
      ),
    );
    expect(claimed.name).toBe("InvalidAccessKeyId");
    // Never in the emulator's log, nor in its request log (the header is taken out before moto).
    const dir = `${servicesSettings().stateDir}/aws-emulator`;
    const recording = recordingFile(dir);
    expect(readFileSync(recording, "utf8")).toContain("raw/emulator-port/through-gateway.txt");
    for (const file of [`${dir}/aws-emulator.log`, recording])
      expect(readFileSync(file, "utf8"), file).not.toContain(secret);
  });

  it("STS GetCallerIdentity through the gateway names the sandbox's session (AWS CLI and SDK)", async () => {
    const land = sandbox();
    const role = arnOfResource(template, "AWS::IAM::Role", LAND).split("/").pop() as string;
    const identity = JSON.parse((await cli(access.endpoint, land, "sts", "get-caller-identity")).stdout) as {
      Arn: string;
      UserId: string;
      Account: string;
    };
    expect(identity).toEqual({
      Arn: `arn:aws:sts::000000000000:assumed-role/${role}/land-records`,
      UserId: expect.stringMatching(/^AROA[A-Z2-7]{17}:land-records$/),
      Account: "000000000000",
    });
    const sdk = await new STSClient({ ...client, endpoint: access.endpoint, credentials: land }).send(
      new GetCallerIdentityCommand({}),
    );
    expect(sdk.Arn).toBe(identity.Arn);
    expect(sdk.UserId).toBe(identity.UserId);
  });
});
