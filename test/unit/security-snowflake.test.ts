/**
 * Snowflake only through key-pair credentials from Secrets Manager:
 * - the connection code builds JWT (key-pair) options from the secret and refuses a secret
 *   carrying password-style fields; its errors name fields, never values;
 * - dbt's Snowflake profile reads the private key, never a password;
 * - the template keeps the key in the warehouse secret (the dbt task gets it as a container
 *   secret) and grants `secretsmanager:GetSecretValue` only on the stack's own secret.
 * (That the key is read from the secret at run time and never logged: test/integration/security-logs.test.ts.)
 */
import { generateKeyPairSync } from "node:crypto";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { SnowflakeConfigError } from "../../core/warehouse/errors.ts";
import { snowflakeConnectionOptions } from "../../core/warehouse/snowflake/connection.ts";
import type { InfraConfigInput } from "../../infra/config.ts";
import { REPO_ROOT } from "../../infra/constructs/pipeline-function.ts";
import { synthesize } from "../fixtures/stacks.ts";

const privateKey = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
}).privateKey;

const secret = {
  account: "xy12345.eu-west-1",
  username: "PIPELINE",
  privateKey,
  warehouse: "LOAD_WH",
  database: "PIPELINE",
};

describe("the Snowflake connection", () => {
  it("authenticates with the key pair from the secret, never a password", () => {
    // Act
    const options = snowflakeConnectionOptions(
      { ...secret, privateKeyPassphrase: "fake-pass-phrase" },
      "raw",
    );

    // Assess
    expect(options.authenticator).toBe("SNOWFLAKE_JWT");
    expect(options.privateKey).toBe(privateKey);
    expect(options.privateKeyPass).toBe("fake-pass-phrase");
    expect(Object.keys(options)).not.toContain("password");
    expect(Object.keys(options)).not.toContain("privateKeyPath");
  });

  for (const field of ["password", "passcode", "authenticator", "token"]) {
    it(`refuses a secret holding "${field}", naming the field but not its value`, () => {
      // Prepare
      const value = field === "authenticator" ? "SNOWFLAKE" : "fake-Hunter2";

      // Act
      const attempt = () => snowflakeConnectionOptions({ ...secret, [field]: value }, "raw");

      // Assess
      expect(attempt).toThrow(SnowflakeConfigError);
      expect(attempt).toThrow(new RegExp(`holds ${field}: only key-pair auth`));
      expect(attempt).not.toThrow(value);
    });
  }

  it("refuses a password-only secret (no key) without echoing it", () => {
    // Prepare
    const { privateKey: _key, ...withoutKey } = secret;

    // Act
    const attempt = () => snowflakeConnectionOptions({ ...withoutKey, password: "fake-Hunter2" }, "raw");

    // Assess
    expect(attempt).toThrow(SnowflakeConfigError);
    expect(attempt).not.toThrow("Hunter2");
  });

  it("names the bad fields of a secret, never their values", () => {
    // Prepare: a key mangled the usual way (armour lost), and a field missing
    const mangled = privateKey.split("\n").slice(1, -2).join("");
    const { database: _db, ...missingDatabase } = secret;

    // Act
    const notPem = () => snowflakeConnectionOptions({ ...secret, privateKey: mangled }, "raw");
    const missing = () => snowflakeConnectionOptions({ ...missingDatabase, privateKey: 42 }, "raw");

    // Assess
    expect(notPem).toThrow(/not a PKCS#8 PEM/);
    expect(notPem).not.toThrow(mangled.slice(0, 40));
    expect(missing).toThrow("invalid fields: privateKey, database");
  });
});

describe("dbt's Snowflake profile", () => {
  it("uses the private key from the environment, and no password", () => {
    // Prepare
    const profiles = parse(readFileSync(path.join(REPO_ROOT, "dbt", "profiles.yml"), "utf8")) as {
      pipeline: { outputs: Record<string, Record<string, unknown>> };
    };

    // Act
    const snowflake = Object.values(profiles.pipeline.outputs).filter((o) => o.type === "snowflake");

    // Assess
    expect(snowflake).toHaveLength(1);
    for (const output of snowflake) {
      expect(output.private_key).toBe("{{ env_var('SNOWFLAKE_PRIVATE_KEY', '') }}");
      expect(Object.keys(output)).not.toContain("password");
      expect(Object.keys(output)).not.toContain("authenticator");
    }
  });
});

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

interface GrantStatement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
}

/** Allow statements of identity policies that grant reading a secret's value. */
function secretReads(resources: Resources): { policy: string; resources: unknown[] }[] {
  return Object.entries(resources)
    .filter(([, r]) => r.Type === "AWS::IAM::Policy")
    .flatMap(([id, r]) =>
      ((r.Properties?.PolicyDocument as { Statement?: GrantStatement[] } | undefined)?.Statement ?? [])
        .filter(
          (s) =>
            s.Effect === "Allow" &&
            [s.Action].flat().some((a) => /^secretsmanager:(GetSecretValue|\*)$|^\*$/.test(a)),
        )
        .map((s) => ({ policy: id, resources: [s.Resource].flat() })),
    );
}

const snowflakeConfigurations: readonly InfraConfigInput[] = [
  { target: "aws" },
  { target: "aws", kafkaMode: "provisioned", natGateway: true, alertEmail: "ops@example.com" },
];

describe("the Snowflake credentials in the template", () => {
  for (const context of [...snowflakeConfigurations, { target: "aws", warehouse: "postgres" } as const]) {
    it(`grants GetSecretValue only on the warehouse secret: ${JSON.stringify(context)}`, () => {
      // Prepare
      const resources = synthesize(context).template.toJSON().Resources as Resources;
      const secrets = Object.entries(resources).filter(([, r]) => r.Type === "AWS::SecretsManager::Secret");

      // Act
      const reads = secretReads(resources);

      // Assess: one secret, the warehouse's; every read names exactly it
      expect(secrets.map(([id]) => id)).toEqual([expect.stringMatching(/^WarehouseCredentials/)]);
      expect(reads.length).toBeGreaterThan(0);
      for (const read of reads) expect(read.resources, read.policy).toEqual([{ Ref: secrets[0]?.[0] }]);
    });
  }

  for (const context of snowflakeConfigurations) {
    it(`gives the loaders the secret's ARN and dbt the key as a container secret: ${JSON.stringify(context)}`, () => {
      // Prepare
      const resources = synthesize(context).template.toJSON().Resources as Resources;
      const secretId = Object.entries(resources).find(
        ([, r]) => r.Type === "AWS::SecretsManager::Secret",
      )?.[0];

      // Act
      const loaders = Object.values(resources)
        .filter((r) => r.Type === "AWS::Lambda::Function")
        .map(
          (r) =>
            (r.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ??
            {},
        )
        .filter((v) => ["load-raw", "load-pending"].includes(String(v.PIPELINE_FUNCTION)));
      const containers = Object.values(resources)
        .filter((r) => r.Type === "AWS::ECS::TaskDefinition")
        .flatMap(
          (r) =>
            (r.Properties?.ContainerDefinitions ?? []) as {
              Environment?: { Name: string }[];
              Secrets?: { Name: string; ValueFrom: unknown }[];
            }[],
        );

      // Assess
      expect(loaders).toHaveLength(2);
      for (const env of loaders) {
        expect(env.WAREHOUSE_TARGET).toBe("snowflake");
        expect(env.SNOWFLAKE_SECRET_ID).toEqual({ Ref: secretId });
      }
      const key = containers.flatMap((c) => c.Secrets ?? []).find((s) => s.Name === "SNOWFLAKE_PRIVATE_KEY");
      expect(key?.ValueFrom).toEqual({ "Fn::Join": ["", [{ Ref: secretId }, ":privateKey::"]] });
      const plain = containers.flatMap((c) => c.Environment ?? []).map((e) => e.Name);
      expect(plain.filter((n) => /PRIVATE_KEY|PASSWORD|PASSPHRASE/.test(n))).toEqual([]);
    });
  }
});
