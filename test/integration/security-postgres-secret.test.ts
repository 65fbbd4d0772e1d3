/**
 * The PostgreSQL warehouse in AWS: the functions' DATABASE_URL carries no password, and
 * DATABASE_SECRET_ARN names the secret pg reads it from at connect time. Here against the real
 * PostgreSQL and the emulator's Secrets Manager, through the one pool factory every user shares.
 */
import { randomUUID } from "node:crypto";
import { CreateSecretCommand, DeleteSecretCommand } from "@aws-sdk/client-secrets-manager";
import { afterAll, describe, expect, it } from "vitest";
import { secretsManager } from "../../core/aws/clients.ts";
import { loadConfig } from "../../core/config/index.ts";
import { WarehouseError } from "../../core/warehouse/errors.ts";
import { closePostgresPools, postgresPool } from "../../core/warehouse/postgres/pool.ts";

const created: string[] = [];

afterAll(async () => {
  await closePostgresPools();
  for (const id of created)
    await secretsManager().send(new DeleteSecretCommand({ SecretId: id, ForceDeleteWithoutRecovery: true }));
});

/** An RDS-shaped secret for the local PostgreSQL, with `password` as given. */
async function rdsSecret(fields: Record<string, unknown>): Promise<string> {
  const response = await secretsManager().send(
    new CreateSecretCommand({ Name: `security-pg-${randomUUID()}`, SecretString: JSON.stringify(fields) }),
  );
  const arn = response.ARN ?? "";
  created.push(arn);
  return arn;
}

/** The local URL without its password, as the AWS target hands it to the functions. */
function urlWithoutPassword(): { url: string; password: string } {
  const url = new URL(loadConfig().postgres.url);
  const password = decodeURIComponent(url.password);
  url.password = "";
  return { url: url.toString(), password };
}

describe("a PostgreSQL password from Secrets Manager", () => {
  it("connects with the password read from the secret, not from the URL", async () => {
    // Prepare
    const { url, password } = urlWithoutPassword();
    const arn = await rdsSecret({ username: "pipeline", password });

    // Act
    const result = await postgresPool(url, arn).query<{ ok: number }>("select 1 as ok");

    // Assess
    expect(url).not.toContain(`:${password}@`);
    expect(result.rows).toEqual([{ ok: 1 }]);
  });

  it("connects where the secret says, read at connect time (no URL: the AWS target sets none)", async () => {
    // Prepare: the local defaults point nowhere; the secret, filled after the "deploy", is right.
    const real = new URL(loadConfig().postgres.url);
    const nowhere = "postgres://nobody@unresolvable.invalid:1/none";
    const arn = await rdsSecret({
      username: decodeURIComponent(real.username),
      password: decodeURIComponent(real.password),
      host: real.hostname,
      port: String(real.port || 5432),
      dbname: real.pathname.slice(1),
    });

    // Act
    const result = await postgresPool(nowhere, arn).query<{ db: string }>("select current_database() as db");

    // Assess
    expect(result.rows).toEqual([{ db: real.pathname.slice(1) }]);
  });

  it("names the secret whose port is still the placeholder", async () => {
    // Prepare: the secret as the stack creates it, before anyone filled it
    const { url } = urlWithoutPassword();
    const arn = await rdsSecret({
      username: "SET-ME",
      host: "SET-ME",
      port: "SET-ME",
      dbname: "SET-ME",
      password: "x",
    });

    // Act
    const attempt = postgresPool(url, arn).query("select 1");

    // Assess
    await expect(attempt).rejects.toThrow(`secret ${arn}: "port" is not a number ("SET-ME")`);
  });

  it("fails to connect with a wrong password in the secret (the secret is what is used)", async () => {
    // Prepare
    const { url } = urlWithoutPassword();
    const arn = await rdsSecret({ username: "pipeline", password: `wrong-${randomUUID()}` });

    // Act
    const attempt = postgresPool(url, arn).query("select 1");

    // Assess
    await expect(attempt).rejects.toThrow(/password authentication failed/);
  });

  it("says which secret lacks a password, without guessing", async () => {
    // Prepare
    const { url } = urlWithoutPassword();
    const arn = await rdsSecret({ username: "pipeline" });

    // Act
    const attempt = postgresPool(url, arn).query("select 1");

    // Assess
    await expect(attempt).rejects.toThrow(WarehouseError);
    await expect(attempt).rejects.toThrow(`secret ${arn} has no "password" field`);
  });
});
