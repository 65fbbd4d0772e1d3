/**
 * No secret in the logs: load-raw runs as the local runtime runs it (a worker thread with the
 * function's environment, stdout/stderr into its log file, as in `.cache/runtime/logs/`),
 * with warehouse credentials that fail to connect. Whatever the handler, Powertools and the
 * drivers log, and the error the invocation ends with, hold no part of the secret.
 *
 * Snowflake: the secret lives in the AWS emulator's Secrets Manager (key-pair JSON: an
 * encrypted PKCS#8 key and a wrong passphrase, so the connection fails at once, offline,
 * after the key was read from the secret and handed to snowflake-sdk).
 */
import { generateKeyPairSync, randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { CreateSecretCommand, DeleteSecretCommand } from "@aws-sdk/client-secrets-manager";
import type { SQSEvent } from "aws-lambda";
import { afterAll, describe, expect, it } from "vitest";
import { secretsManager } from "../../core/aws/clients.ts";
import { localAwsEnv } from "../../core/config/index.ts";
import { objectCreatedEvent } from "../../core/lake/index.ts";
import { REPO_ROOT } from "../../infra/constructs/pipeline-function.ts";
import { LocalFunction } from "../../localstack/runtime/functions/host.ts";
import { sqsEventOf } from "../fixtures/records.ts";

const dirs: string[] = [];
const secrets: string[] = [];
const functions: LocalFunction[] = [];

afterAll(async () => {
  await Promise.all(functions.map((f) => f.stop()));
  for (const id of secrets)
    await secretsManager().send(new DeleteSecretCommand({ SecretId: id, ForceDeleteWithoutRecovery: true }));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const RAW_KEY =
  "raw/elections/votes/dt=2026-11-03/hr=14/p=0/00000000000000000000-00000000000000000009.ndjson.gz";

function sqsEvent(body: unknown): SQSEvent {
  return sqsEventOf([JSON.stringify(body)]);
}

/** load-raw in a runtime sandbox with `environment`; returns what it logged and how it ended. */
async function runLoadRaw(
  environment: Record<string, string>,
  event: unknown,
): Promise<{ log: string; outcome: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), "security-logs-"));
  dirs.push(dir);
  const logFile = path.join(dir, "logs", "load-raw.log");
  const fn = new LocalFunction(
    {
      functionName: `security-load-raw-${randomUUID().slice(0, 8)}`,
      modulePath: path.join(REPO_ROOT, "lambdas", "load-raw", "index.ts"),
      handlerName: "handler",
      environment: { PIPELINE_FUNCTION: "load-raw", POWERTOOLS_LOG_LEVEL: "DEBUG", ...environment },
      timeoutSeconds: 60,
      memoryMb: 512,
    },
    "us-east-1",
    { PATH: process.env.PATH, ...localAwsEnv() },
    logFile,
  );
  functions.push(fn);
  let outcome: string;
  try {
    outcome = JSON.stringify(await fn.invoke(event));
  } catch (error) {
    const e = error as Error;
    outcome = `${e.message}\n${e.stack ?? ""}`;
  }
  await fn.stop(); // flushes the log stream
  return { log: readFileSync(logFile, "utf8"), outcome };
}

/** The lines of a PEM's base64 body: any one of them in a log is a leak. */
function pemLines(pem: string): string[] {
  return pem.split("\n").filter((l) => l && !l.startsWith("-----"));
}

describe("no secret in the logs", () => {
  it("reads the Snowflake key from Secrets Manager and logs no part of the key, passphrase or secret", async () => {
    // Prepare: a key-pair secret whose passphrase is wrong, so the connection fails offline
    const rightPassphrase = `right-${randomUUID()}`;
    const wrongPassphrase = `wrong-${randomUUID()}`;
    const { privateKey } = generateKeyPairSync("rsa", {
      modulusLength: 2048,
      privateKeyEncoding: {
        type: "pkcs8",
        format: "pem",
        cipher: "aes-256-cbc",
        passphrase: rightPassphrase,
      },
      publicKeyEncoding: { type: "spki", format: "pem" },
    });
    const name = `security-logs-${randomUUID()}`;
    const created = await secretsManager().send(
      new CreateSecretCommand({
        Name: name,
        SecretString: JSON.stringify({
          account: "canaryaccount",
          username: "PIPELINE",
          privateKey,
          privateKeyPassphrase: wrongPassphrase,
          warehouse: "LOAD_WH",
          database: "PIPELINE",
        }),
      }),
    );
    secrets.push(created.ARN ?? name);
    const event = sqsEvent(objectCreatedEvent([{ bucket: "pipeline-raw", key: RAW_KEY, etag: "e" }]));

    // Act
    const { log, outcome } = await runLoadRaw(
      { WAREHOUSE_TARGET: "snowflake", SNOWFLAKE_SECRET_ID: created.ARN ?? name, SNOWFLAKE_STAGE: "RAW.S" },
      event,
    );

    // Assess: the key reached snowflake-sdk from the secret (it failed to decrypt it; before
    // connect() used a callback, connectAsync swallowed that and a dead connection was cached),
    // the failure was logged, and nothing of the secret was
    expect(log).toContain("batched load failed");
    expect(log).toContain("bad decrypt");
    const everything = `${log}\n${outcome}`;
    expect(everything).not.toMatch(/PRIVATE KEY-----/);
    for (const line of pemLines(privateKey))
      expect(everything.includes(line), "a line of the key").toBe(false);
    expect(everything).not.toContain(wrongPassphrase);
    expect(everything).not.toContain(rightPassphrase);
  });

  it("logs no part of the warehouse password when PostgreSQL can't be reached", async () => {
    // Prepare: a URL with a distinctive password, to a port nothing listens on
    const password = `canary-${randomUUID()}`;
    const event = objectCreatedEvent([{ bucket: "pipeline-raw", key: RAW_KEY, etag: "e" }]);

    // Act
    const { log, outcome } = await runLoadRaw(
      { WAREHOUSE_TARGET: "postgres", DATABASE_URL: `postgres://pipeline:${password}@127.0.0.1:1/warehouse` },
      event,
    );

    // Assess: it failed on the connection, and said so without the password
    expect(outcome).toMatch(/ECONNREFUSED/);
    expect(`${log}\n${outcome}`).not.toContain(password);
  });
});
