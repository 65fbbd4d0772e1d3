/**
 * Offline credentials behave like AWS's: a sandbox gets temporary credentials of its role's
 * session (ASIA… key, secret, session token, expiry) from the runtime, and the IAM gateway
 * verifies every request's SigV4 signature with them. A process cannot claim another role:
 * another role's key id (with its own secret, or with a stolen token but not the secret), a
 * tampered signature, a missing session token, expired credentials and the old offline
 * scheme (the role's name as key id) are refused with the errors AWS gives — by the SDK v3
 * and the AWS CLI, against the real emulator.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { CreateQueueCommand, ListQueuesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { operatorKey, RuntimeAccess } from "../../localstack/runtime/access.ts";
import type { Template } from "../../localstack/runtime/assembly.ts";
import { arnOfResource, synthesizeTemplate } from "../fixtures/iam-template.ts";
import { failure, type SessionCredentials, sandboxCredentials } from "../fixtures/sessions.ts";
import { until } from "../fixtures/until.ts";

const run = promisify(execFile);
const region = "us-east-1";
const AWS_CLI = process.env.AWS_CLI ?? "aws";

let template: Template;
let access: RuntimeAccess;
const log: string[] = [];
const roleArn = (prefix: string) => arnOfResource(template, "AWS::IAM::Role", prefix);
const LAND = "IngestionLandRecordsServiceRole";
const DASHBOARD = "IngestionDashboardApiServiceRole";

/** What a sandbox of the function gets in its environment, as credentials. */
const sandbox = (prefix: string, functionName: string) =>
  sandboxCredentials(access, roleArn(prefix), functionName);

const s3As = (credentials: SessionCredentials) =>
  new S3Client({ endpoint: access.endpoint, region, forcePathStyle: true, credentials });
const put = (credentials: SessionCredentials, key = "raw/iam/signed.txt") =>
  s3As(credentials).send(new PutObjectCommand({ Bucket: "pipeline-raw", Key: key, Body: "signed" }));

const cli = (credentials: SessionCredentials, ...args: string[]) =>
  run(AWS_CLI, ["--endpoint-url", access.endpoint, "--region", region, ...args], {
    env: {
      ...process.env,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_SESSION_TOKEN: credentials.sessionToken ?? "",
    },
  });
const cliPut = (credentials: SessionCredentials) =>
  cli(
    credentials,
    "s3api",
    "put-object",
    "--bucket",
    "pipeline-raw",
    "--key",
    "raw/iam/cli-signed.txt",
    "--body",
    "/etc/hostname",
  );

beforeAll(async () => {
  template = synthesizeTemplate({ target: "local", localKafkaIam: "false" });
  access = await RuntimeAccess.start({ template, log: (m) => log.push(m), enforce: true });
  const operator = { endpoint: process.env.AWS_ENDPOINT_URL as string, region, credentials: operatorKey() };
  await new S3Client({ ...operator, forcePathStyle: true })
    .send(new CreateBucketCommand({ Bucket: "pipeline-raw" }))
    .catch(() => undefined);
  await new SQSClient(operator).send(new CreateQueueCommand({ QueueName: "pipeline-local-failures" }));
}, 120_000);

afterAll(async () => {
  await access?.close();
});

describe("offline session credentials and SigV4 verification (SDK v3)", () => {
  it("a sandbox's credentials are an ASIA key with a session token; its signed calls pass", async () => {
    const land = sandbox(LAND, "land-records");
    expect(land.accessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    expect(land.sessionToken?.length).toBeGreaterThan(100);
    await put(land);
    // IAM still judges the role: the session is the function's.
    const denied = await failure(
      s3As(land).send(new GetObjectCommand({ Bucket: "pipeline-raw", Key: "raw/iam/signed.txt" })),
    );
    expect(denied.name).toBe("AccessDenied");
    expect(denied.message).toContain(
      `assumed-role/${roleArn(LAND).split("/").pop()}/land-records is not authorized`,
    );
  });

  it("refuses another role's key id: with the claimant's own secret and token, and with a stolen token", async () => {
    const land = sandbox(LAND, "land-records");
    const dashboard = sandbox(DASHBOARD, "dashboard-api");
    const ownToken = await failure(put({ ...dashboard, accessKeyId: land.accessKeyId }));
    expect(ownToken.name).toBe("InvalidToken");
    expect(ownToken.$metadata?.httpStatusCode).toBe(400);
    const stolenToken = await failure(
      put({
        accessKeyId: land.accessKeyId,
        sessionToken: land.sessionToken,
        secretAccessKey: dashboard.secretAccessKey,
      }),
    );
    expect(stolenToken.name).toBe("SignatureDoesNotMatch");
    expect(stolenToken.$metadata?.httpStatusCode).toBe(403);
    // The old offline scheme — the role's name as access key id — names no issued key.
    const byName = await failure(
      put({ accessKeyId: roleArn(LAND).split("/").pop() as string, secretAccessKey: "local-runtime" }),
    );
    expect(byName.name).toBe("InvalidAccessKeyId");
    // In each service's protocol: DynamoDB (JSON) and SQS (JSON with query-era codes).
    const forged = { ...dashboard, accessKeyId: "ASIAFAKEFORGEDKEY000" };
    const dynamo = await failure(
      new DynamoDBClient({ endpoint: access.endpoint, region, credentials: forged }).send(
        new ListTablesCommand({}),
      ),
    );
    expect(dynamo.name).toBe("UnrecognizedClientException");
    const sqs = await failure(
      new SQSClient({ endpoint: access.endpoint, region, credentials: forged }).send(
        new ListQueuesCommand({}),
      ),
    );
    expect(sqs.name).toBe("InvalidClientTokenId");
    expect(
      log.some((line) => line.includes(land.secretAccessKey) || line.includes(land.sessionToken as string)),
    ).toBe(false);
  });

  it("refuses a tampered signature and a tampered body", async () => {
    const land = sandbox(LAND, "land-records");
    const client = s3As(land);
    let tamper: (request: { headers: Record<string, string>; body?: unknown }) => void = () => undefined;
    // After signing (the deserialize step wraps the transport): what a man in the middle changes.
    client.middlewareStack.add(
      (next) => async (args) => {
        tamper(args.request as { headers: Record<string, string>; body?: unknown });
        return next(args);
      },
      { step: "deserialize", name: "tamper" },
    );
    tamper = (request) => {
      request.headers.authorization = request.headers.authorization?.replace(
        /Signature=(.)/,
        (_, c: string) => `Signature=${c === "0" ? "1" : "0"}`,
      ) as string;
    };
    const signature = await failure(
      client.send(new PutObjectCommand({ Bucket: "pipeline-raw", Key: "raw/iam/t.txt", Body: "signed" })),
    );
    expect(signature.name).toBe("SignatureDoesNotMatch");
    tamper = (request) => {
      request.body = "SIGNED";
    };
    const body = await failure(
      client.send(new PutObjectCommand({ Bucket: "pipeline-raw", Key: "raw/iam/t.txt", Body: "signed" })),
    );
    expect(body.name).toBe("XAmzContentSHA256Mismatch");
  });

  it("refuses expired session credentials with ExpiredToken", async () => {
    const expiring = access.store?.issue(roleArn(LAND), { sessionName: "land-records", durationSeconds: 1 });
    if (!expiring) throw new Error("IAM is enforced here: the store exists");
    await until("the session's credentials to expire", () =>
      Date.now() > expiring.expiration.getTime() ? true : undefined,
    );
    const expired = await failure(put(expiring));
    expect(expired.name).toBe("ExpiredToken");
    expect(expired.$metadata?.httpStatusCode).toBe(400);
  });
});

describe("offline session credentials and SigV4 verification (AWS CLI)", () => {
  it("passes a sandbox's credentials; refuses a forged key id, a missing session token, expired credentials", async () => {
    const land = sandbox(LAND, "land-records");
    const dashboard = sandbox(DASHBOARD, "dashboard-api");
    await cliPut(land);
    const forged = await failure(cliPut({ ...land, secretAccessKey: dashboard.secretAccessKey }));
    expect(forged.stderr).toContain("(SignatureDoesNotMatch) when calling the PutObject operation");
    const noToken = await failure(
      cliPut({ accessKeyId: land.accessKeyId, secretAccessKey: land.secretAccessKey }),
    );
    expect(noToken.stderr).toContain("(InvalidAccessKeyId) when calling the PutObject operation");
    const expiring = access.store?.issue(roleArn(LAND), { sessionName: "land-records", durationSeconds: 1 });
    if (!expiring) throw new Error("IAM is enforced here: the store exists");
    await until("the session's credentials to expire", () =>
      Date.now() > expiring.expiration.getTime() ? true : undefined,
    );
    const expired = await failure(cliPut(expiring));
    expect(expired.stderr).toContain("(ExpiredToken) when calling the PutObject operation");
    const dynamo = await failure(
      cli({ ...dashboard, accessKeyId: "ASIAFAKEFORGEDKEY000" }, "dynamodb", "list-tables"),
    );
    expect(dynamo.stderr).toContain("(UnrecognizedClientException) when calling the ListTables operation");
  });

  it("the operator's own key (the developer's, explicit) is verified and passes unevaluated", async () => {
    await cli(
      operatorKey(),
      "s3api",
      "get-object",
      "--bucket",
      "pipeline-raw",
      "--key",
      "raw/iam/cli-signed.txt",
      "/dev/null",
    );
    const wrong = await failure(
      cli({ ...operatorKey(), secretAccessKey: "not-the-operator-secret" }, "s3api", "list-buckets"),
    );
    expect(wrong.stderr).toContain("(SignatureDoesNotMatch)");
  });
});
