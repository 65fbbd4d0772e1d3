/**
 * No secret in the synthesized templates or in the repository's tracked files.
 *
 * - Templates (both targets, every configuration cdk-nag is run on): synthesized while this
 *   process's environment holds canary credentials (a warehouse password, a Snowflake PEM, an
 *   AWS secret key), none of which may end up in the template; no private key, access key id
 *   or literal password anywhere; every secret-named variable is a Secrets Manager reference.
 *   The one literal password allowed is the local target's throw-away PostgreSQL `pipeline`.
 * - Tracked files (`git ls-files`): no private key block, AWS key, or credential other than the
 *   allow-listed local/test ones below, each with its reason.
 */
import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { App } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { buildApp } from "../../infra/app.ts";
import type { InfraConfigInput } from "../../infra/config.ts";
import { REPO_ROOT } from "../../infra/constructs/pipeline-function.ts";

/** Every configuration infra/nag.test.ts checks. */
const CONFIGURATIONS: readonly InfraConfigInput[] = [
  { target: "aws" },
  { target: "local" },
  { target: "aws", kafkaMode: "provisioned", natGateway: true, alertEmail: "ops@example.com" },
  { target: "aws", warehouse: "postgres", removalPolicy: "destroy" },
];

/** The throw-away password of the offline PostgreSQL (localstack/services/postgres), local only. */
const LOCAL_PASSWORD = "pipeline";

const canaryPem = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
}).privateKey;

const CANARIES = {
  PGPASSWORD: "canary-pg-Zq83vNw1",
  DATABASE_URL: "postgres://pipeline:canary-url-Hk27pLm4@db.example:5432/warehouse",
  SNOWFLAKE_PRIVATE_KEY: canaryPem,
  SNOWFLAKE_PRIVATE_KEY_PASSPHRASE: "canary-passphrase-Tr51",
  AWS_SECRET_ACCESS_KEY: "canaryAwsSecretKey0123456789abcdefGHIJKLMN",
} as const;

/** The secret parts of the canaries: what must not appear anywhere in a template. */
const CANARY_VALUES = [
  CANARIES.PGPASSWORD,
  "canary-url-Hk27pLm4",
  pemBody(canaryPem),
  CANARIES.SNOWFLAKE_PRIVATE_KEY_PASSPHRASE,
  CANARIES.AWS_SECRET_ACCESS_KEY,
];

/** The base64 body of a PEM (one line of it is enough to recognise a leak). */
function pemBody(pem: string): string {
  return pem.split("\n")[1] ?? "";
}

const synthesized = new Map<string, Record<string, unknown>>();

/** Synthesizes a configuration while the environment holds the canaries (no bundling), once. */
function synthesizeWithCanaries(context: InfraConfigInput): Record<string, unknown> {
  const key = JSON.stringify(context);
  const cached = synthesized.get(key);
  if (cached) return cached;
  const saved = { ...process.env };
  Object.assign(process.env, CANARIES);
  try {
    const app = new App({ context: { ...context, "aws:cdk:bundling-stacks": [] } });
    const { stack } = buildApp({ app });
    const template = Template.fromStack(stack).toJSON();
    synthesized.set(key, template);
    return template;
  } finally {
    for (const key of Object.keys(CANARIES)) delete process.env[key];
    Object.assign(process.env, saved);
  }
}

/** Every string in a JSON value, with the path that leads to it. */
function* strings(value: unknown, at = ""): Generator<[string, string]> {
  if (typeof value === "string") yield [at, value];
  else if (Array.isArray(value)) for (const [i, v] of value.entries()) yield* strings(v, `${at}[${i}]`);
  else if (value && typeof value === "object")
    for (const [k, v] of Object.entries(value)) yield* strings(v, `${at}.${k}`);
}

/**
 * A template value as text: strings as they are, `Fn::Join` concatenated, any other intrinsic
 * (Ref, GetAtt, Sub, ImportValue…) as `<ref>` — a value resolved at deploy, not a literal.
 */
function flatten(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  const node = value as Record<string, unknown>;
  if (node && "Fn::Join" in node) {
    const [separator, parts] = node["Fn::Join"] as [string, unknown[]];
    return parts.map(flatten).join(separator);
  }
  return "<ref>";
}

const SECRET_NAME = /PASSWORD|PASSPHRASE|PRIVATE_?KEY|SECRET(?!_ID|_ARN|_NAME)|TOKEN|API_?KEY|CREDENTIAL/i;

/** The properties of functions and task definitions these checks read. */
interface EnvironmentHolder {
  readonly Type: string;
  readonly Properties?: {
    readonly Environment?: { Variables?: Record<string, unknown> };
    readonly ContainerDefinitions?: readonly { Environment?: readonly { Name: string; Value: unknown }[] }[];
  };
}

/** Plain environment variables of every function and container: [where, name, value]. */
function environments(template: Record<string, unknown>): [string, string, unknown][] {
  const found: [string, string, unknown][] = [];
  const resources = template.Resources as Record<string, EnvironmentHolder>;
  for (const [id, { Type, Properties: props = {} }] of Object.entries(resources)) {
    if (Type === "AWS::Lambda::Function") {
      for (const [name, value] of Object.entries(props.Environment?.Variables ?? {}))
        found.push([id, name, value]);
    }
    if (Type === "AWS::ECS::TaskDefinition") {
      for (const container of props.ContainerDefinitions ?? [])
        for (const { Name, Value } of container.Environment ?? []) found.push([id, Name, Value]);
    }
  }
  return found;
}

const DYNAMIC_SECRET_REF = /^\{\{resolve:secretsmanager:<ref>:SecretString:[A-Za-z]+::\}\}$/;

/** Dynamic references to Secrets Manager as `<secret>`, so URLs built of them parse. */
function maskSecretRefs(text: string): string {
  return text.replaceAll(/\{\{resolve:secretsmanager:[^}]*\}\}/g, "<secret>");
}

/** Credentials in URLs: `scheme://user:password@host`. */
const URL_CREDENTIALS = /[a-z][a-z0-9+.-]*:\/\/([^/\s:@"'`]+):([^@\s/"'`]*)@([^\s/:"'`]+)/gi;

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1"]);

describe("no secret in the synthesized templates", () => {
  for (const context of CONFIGURATIONS) {
    const local = context.target === "local";

    it(`holds no secret value: ${JSON.stringify(context)}`, () => {
      // Act
      const template = synthesizeWithCanaries(context);

      // Assess: none of the environment's secrets, no key material, no AWS key id
      const text = JSON.stringify(template);
      for (const canary of CANARY_VALUES) expect(text.includes(canary), "a canary secret leaked").toBe(false);
      for (const [at, value] of strings(template)) {
        expect(value, at).not.toMatch(/-----BEGIN [A-Z ]*PRIVATE KEY-----/);
        expect(value, at).not.toMatch(/\b(AKIA|ASIA)[0-9A-Z]{16}\b/);
      }
    });

    it(`references every secret-named variable through Secrets Manager: ${JSON.stringify(context)}`, () => {
      // Act
      const template = synthesizeWithCanaries(context);

      // Assess
      const checked = environments(template).filter(([, name]) => SECRET_NAME.test(name));
      for (const [id, name, value] of checked) {
        const text = flatten(value);
        if (local && name === "PGPASSWORD") expect(text, `${id} ${name}`).toBe(LOCAL_PASSWORD);
        else expect(text, `${id} ${name} must come from Secrets Manager`).toMatch(DYNAMIC_SECRET_REF);
      }
      // URLs with credentials: only the local target's, with the throw-away password.
      const urls = environments(template).flatMap(([id, name, value]) =>
        [...maskSecretRefs(flatten(value)).matchAll(URL_CREDENTIALS)].map((m) => ({
          where: `${id} ${name}`,
          match: m,
        })),
      );
      if (local) {
        expect(urls.length).toBeGreaterThan(0);
        for (const { where, match } of urls) {
          const [, , password, host] = match;
          expect(password, where).toBe(LOCAL_PASSWORD);
          expect(LOOPBACK.has(host ?? ""), `${where}: the local password is only for a local host`).toBe(
            true,
          );
        }
      } else {
        // In AWS no URL carries a password, not even a dynamic reference (it would resolve into
        // the function's configuration): the functions read it from the secret at connect time.
        expect(urls.map((u) => u.where)).toEqual([]);
        for (const [id, name] of environments(template).filter(([, n]) => n === "DATABASE_URL")) {
          const env = environments(template).filter(([fn]) => fn === id);
          expect(env.find(([, n]) => n === "DATABASE_SECRET_ARN")?.[2], `${id} ${name}`).toEqual({
            Ref: expect.stringMatching(/^WarehouseCredentials/),
          });
        }
      }
      // Secrets are generated or filled after deploy: never a value in the template.
      const secrets = Object.values(
        template.Resources as Record<string, { Type: string; Properties?: Record<string, unknown> }>,
      ).filter((r) => r.Type === "AWS::SecretsManager::Secret");
      for (const secret of secrets) expect(secret.Properties?.SecretString).toBeUndefined();
      if (!local) expect(secrets.length).toBeGreaterThan(0);
    });
  }

  it("notices a literal password and a key in a template (the checks can fail)", () => {
    // Prepare: what a careless construct would synthesize
    const leaky = {
      Resources: {
        Fn: {
          Type: "AWS::Lambda::Function",
          Properties: {
            Environment: {
              Variables: {
                PGPASSWORD: "fake-hunter2",
                DATABASE_URL: "postgres://u:fake-hunter2@db.example/x",
              },
            },
          },
        },
      },
    };

    // Act
    const [password, url] = environments(leaky).map(([, , value]) => flatten(value));

    // Assess
    expect(password).toBe("fake-hunter2");
    expect(password).not.toMatch(DYNAMIC_SECRET_REF);
    expect([...(url ?? "").matchAll(URL_CREDENTIALS)][0]?.[2]).toBe("fake-hunter2");
    expect(
      flatten({
        "Fn::Join": ["", ["{{resolve:secretsmanager:", { Ref: "S" }, ":SecretString:password::}}"]],
      }),
    ).toMatch(DYNAMIC_SECRET_REF);
  });
});

// ---------------------------------------------------------------------------------------------

interface Allowed {
  readonly file: string;
  readonly value: string;
  readonly reason: string;
}

/** Credential-looking values in tracked files that are not secrets, each with why. */
const ALLOWED_CREDENTIALS: readonly Allowed[] = [
  {
    file: "core/datasets/elections/fixtures/randomuser-response.json",
    value: "addison",
    reason: "randomuser.me's sample response: made-up people with made-up passwords",
  },
  {
    file: "core/datasets/elections/fixtures/randomuser-response.json",
    value: "firewall",
    reason: "randomuser.me's sample response: made-up people with made-up passwords",
  },
  {
    file: "core/dbt/run.test.ts",
    value: "p%2Fw",
    reason: "a fixture of URL decoding (percent-encoded user and password), host db.example",
  },
  {
    file: "core/dbt/run.test.ts",
    value: "p/w",
    reason: "the decoded form of the fixture above",
  },
  {
    file: "test/unit/security-secrets.test.ts",
    value: "pipeline",
    reason: "the scanner's own test: the local password with a non-loopback host must be flagged",
  },
];

/**
 * Deliberately fake values in tests carry a marker: `canary`, `fake`, or AWS's own `EXAMPLE`
 * (its documented example keys). The scan reports them; the repository check lets them pass.
 */
const MARKED_FAKE = /canary|fake|EXAMPLE/i;

/** Values that name a placeholder or a variable rather than hold a credential. */
const PLACEHOLDER = /^(\$\{.*\}|\{\{.*|<[^>]*>|\*+|password|user|SET-ME|x+|\.\.\.|…)$/i;

interface Finding {
  readonly file: string;
  readonly line: number;
  readonly kind: string;
  readonly value: string;
}

/** What a scanner flags in one file's text (allow-lists applied by the caller). */
function scanText(file: string, text: string): Finding[] {
  const findings: Finding[] = [];
  const lines = text.split("\n");
  const add = (line: number, kind: string, value: string) => findings.push({ file, line, kind, value });
  for (const [i, line] of lines.entries()) {
    const n = i + 1;
    // A key block: the armour followed by base64 (mentions of the header alone are fine).
    if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(line) && /^[A-Za-z0-9+/=]{40,}$/.test(lines[i + 1] ?? ""))
      add(n, "private key", line.trim());
    for (const m of line.matchAll(/\b(AKIA|ASIA)[0-9A-Z]{16}\b/g)) add(n, "AWS access key id", m[0]);
    for (const m of line.matchAll(
      /(?:aws_secret_access_key|SecretAccessKey)["']?\s*[:=]\s*["']?([A-Za-z0-9/+=]{40})\b/gi,
    ))
      add(n, "AWS secret access key", m[1] ?? "");
    for (const m of line.matchAll(URL_CREDENTIALS)) {
      const [, , password = "", host = ""] = m;
      if (password === LOCAL_PASSWORD && (LOOPBACK.has(host) || host.startsWith("${"))) continue;
      if (!PLACEHOLDER.test(password)) add(n, "credentials in a URL", password);
    }
    for (const m of line.matchAll(
      /\b[\w-]*(?:password|passwd|passphrase|secret_?key|private_?key|api_?key)["']?\s*[:=]\s*["']([^"'$]{3,})["']/gi,
    )) {
      const value = m[1] ?? "";
      if (value === LOCAL_PASSWORD || PLACEHOLDER.test(value) || /^[A-Z][A-Z0-9_]+$/.test(value)) continue;
      add(n, "credential assignment", value);
    }
  }
  return findings;
}

function trackedFiles(): string[] {
  const out = execFileSync("git", ["ls-files", "-z"], { cwd: REPO_ROOT, encoding: "utf8" });
  return out.split("\0").filter(Boolean);
}

describe("no secret in the repository's tracked files", () => {
  it("holds no key file, private key, AWS key or credential outside the allow-list", () => {
    // Prepare
    const files = trackedFiles().filter((f) => f !== "package-lock.json");

    // Act
    const keyFiles = files.filter((f) =>
      /\.(pem|key|p8|p12|pfx|jks)$|(^|\/)(id_rsa|id_ed25519|\.env)$/.test(f),
    );
    const findings = files.flatMap((file) => {
      const bytes = readFileSync(path.join(REPO_ROOT, file));
      if (bytes.includes(0)) return []; // binary
      return scanText(file, bytes.toString("utf8"));
    });

    // Assess
    expect(files.length).toBeGreaterThan(100);
    expect(keyFiles).toEqual([]);
    const unexpected = findings.filter(
      (f) =>
        !MARKED_FAKE.test(f.value) &&
        !ALLOWED_CREDENTIALS.some((a) => a.file === f.file && a.value === f.value),
    );
    expect(
      unexpected,
      "credential-looking values in tracked files: mark a test fake with canary/fake/EXAMPLE, or allow-list it with a reason",
    ).toEqual([]);
  });

  it("allows only entries that still match something, each with a reason", () => {
    // Act
    const findings = ALLOWED_CREDENTIALS.map((a) => ({
      allowed: a,
      hits: scanText(a.file, readFileSync(path.join(REPO_ROOT, a.file), "utf8")).filter(
        (f) => f.value === a.value,
      ),
    }));

    // Assess: a stale entry would quietly allow a future leak
    for (const { allowed, hits } of findings) {
      expect(hits.length, `${allowed.file}: ${allowed.value}`).toBeGreaterThan(0);
      expect(allowed.reason.length).toBeGreaterThan(20);
    }
  });

  it("flags a committed key, an AWS key pair and passwords (the scanner can fail)", () => {
    // Prepare
    const text = [
      canaryPem,
      "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE",
      "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
      "const url = 'postgres://admin:fake-s3cr3t@db.internal:5432/prod';",
      "const local = 'postgres://pipeline:pipeline@10.0.0.5:5432/warehouse';",
      '{ "password": "fake correct horse" }',
      "const ok = 'postgres://pipeline:pipeline@127.0.0.1:5432/warehouse';",
      "password: process.env.PGPASSWORD ?? '<password>'",
    ].join("\n");

    // Act
    const kinds = scanText("x.ts", text).map((f) => `${f.kind}: ${f.value}`);

    // Assess
    expect(kinds).toEqual([
      "private key: -----BEGIN PRIVATE KEY-----",
      "AWS access key id: AKIAIOSFODNN7EXAMPLE",
      "AWS secret access key: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
      "credentials in a URL: fake-s3cr3t",
      "credentials in a URL: pipeline",
      "credential assignment: fake correct horse",
    ]);
    expect(["fake-s3cr3t", "canary-x", "AKIAIOSFODNN7EXAMPLE"].every((v) => MARKED_FAKE.test(v))).toBe(true);
    expect(["s3cr3t", "hunter2", "wJalrXUtnFEMI"].some((v) => MARKED_FAKE.test(v))).toBe(false);
  });
});
