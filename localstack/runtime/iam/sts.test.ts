import {
  AssumeRoleCommand,
  GetCallerIdentityCommand,
  GetSessionTokenCommand,
  STSClient,
} from "@aws-sdk/client-sts";
import { AwsJson1_0Protocol } from "@aws-sdk/core/protocols";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { failure } from "../../../test/fixtures/sessions.ts";
import type { Template } from "../assembly.ts";
import { CredentialStore, type TemporaryCredentials } from "./credentials.ts";
import { createAuthorizer } from "./evaluate.ts";
import { type Gateway, type GatewayDecision, startGateway } from "./gateway.ts";
import { roleUniqueId } from "./sts.ts";

const ACCOUNT = "000000000000";
const role = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;
const lambdaTrust = {
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
};
const allow = (Action: string, Resource: string) => ({
  PolicyName: "p",
  PolicyDocument: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action, Resource }] },
});

/** Denied: everything, explicitly. Chainer: may assume Target, which trusts it. Plain: no STS right. */
const template: Template = {
  Resources: {
    denied: {
      Type: "AWS::IAM::Role",
      Properties: {
        RoleName: "denied",
        AssumeRolePolicyDocument: lambdaTrust,
        Policies: [
          {
            PolicyName: "deny",
            PolicyDocument: {
              Version: "2012-10-17",
              Statement: [{ Effect: "Deny", Action: "*", Resource: "*" }],
            },
          },
        ],
      },
    },
    chainer: {
      Type: "AWS::IAM::Role",
      Properties: {
        RoleName: "chainer",
        AssumeRolePolicyDocument: lambdaTrust,
        Policies: [allow("sts:AssumeRole", "*")],
      },
    },
    target: {
      Type: "AWS::IAM::Role",
      Properties: {
        RoleName: "target",
        AssumeRolePolicyDocument: {
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { AWS: role("chainer") }, Action: "sts:AssumeRole" }],
        },
      },
    },
    plain: {
      Type: "AWS::IAM::Role",
      Properties: { RoleName: "plain", AssumeRolePolicyDocument: lambdaTrust },
    },
  },
} as unknown as Template;

let gateway: Gateway;
const store = new CredentialStore({ operator: { accessKeyId: "test", secretAccessKey: "test" } });
const decisions: GatewayDecision[] = [];
const sts = (credentials: TemporaryCredentials, json = false) =>
  new STSClient({
    endpoint: gateway.url,
    region: "us-east-1",
    credentials,
    maxAttempts: 1,
    ...(json ? { protocol: AwsJson1_0Protocol } : {}),
  });

beforeAll(async () => {
  gateway = await startGateway({
    authorizer: createAuthorizer(template),
    template,
    credentials: store,
    // Nothing here reaches the emulator: STS is answered by the gateway.
    emulatorUrl: "http://127.0.0.1:9",
    onDecision: (d) => decisions.push(d),
  });
});

afterAll(async () => {
  await gateway?.close();
  store.close();
});

describe("STS for a role's session, answered by the gateway", () => {
  it("GetCallerIdentity names the session (assumed-role ARN, AROA…:session, account) in Query and in JSON 1.0, with no permission and despite an explicit deny", async () => {
    const session = store.issue(role("denied"), { sessionName: "land-records" });
    const expected = {
      Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/denied/land-records`,
      UserId: `${roleUniqueId(role("denied"))}:land-records`,
      Account: ACCOUNT,
    };
    expect(await sts(session).send(new GetCallerIdentityCommand({}))).toMatchObject(expected);
    expect(await sts(session, true).send(new GetCallerIdentityCommand({}))).toMatchObject(expected);
    expect(expected.UserId).toMatch(/^AROA[A-Z2-7]{17}:land-records$/);
    expect(roleUniqueId(role("denied"))).toBe(roleUniqueId(role("denied")));
    expect(roleUniqueId(role("plain"))).not.toBe(roleUniqueId(role("denied")));
    // Nothing to judge, nothing journaled: the AWS template's replay has no STS call to ask.
    expect(decisions.filter((d) => d.service === "sts")).toEqual([]);
  });

  it("verifies the signature first: a wrong secret or an unknown key is refused as STS refuses it", async () => {
    const session = store.issue(role("plain"), { sessionName: "s" });
    const wrong = await failure(
      sts({ ...session, secretAccessKey: "not-the-secret" }).send(new GetCallerIdentityCommand({})),
    );
    expect(wrong.name).toBe("SignatureDoesNotMatch");
    expect(wrong.$metadata?.httpStatusCode).toBe(403);
    const unknown = await failure(
      sts({ ...session, accessKeyId: "ASIAFAKEUNKNOWNKEY00" }).send(new GetCallerIdentityCommand({})),
    );
    expect(unknown.name).toBe("InvalidClientTokenId");
  });

  it("refuses GetSessionToken to session credentials, whatever the policies", async () => {
    const session = store.issue(role("chainer"), { sessionName: "s" });
    const refused = await failure(sts(session).send(new GetSessionTokenCommand({})));
    expect(refused.name).toBe("AccessDenied");
    expect(refused.message).toBe("Cannot call GetSessionToken with session credentials");
    expect(refused.$metadata?.httpStatusCode).toBe(403);
  });

  it("AssumeRole: refused without sts:AssumeRole or the target's trust, as AWS words it; allowed by both, a chained session of at most an hour", async () => {
    const plain = store.issue(role("plain"), { sessionName: "fn" });
    const noRight = await failure(
      sts(plain).send(new AssumeRoleCommand({ RoleArn: role("target"), RoleSessionName: "other" })),
    );
    expect(noRight.name).toBe("AccessDenied");
    expect(noRight.message).toBe(
      `User: arn:aws:sts::${ACCOUNT}:assumed-role/plain/fn is not authorized to perform: sts:AssumeRole on resource: ${role("target")} because no identity-based policy allows the sts:AssumeRole action`,
    );
    const chainer = store.issue(role("chainer"), { sessionName: "fn" });
    const untrusted = await failure(
      sts(chainer).send(new AssumeRoleCommand({ RoleArn: role("plain"), RoleSessionName: "other" })),
    );
    expect(untrusted.name).toBe("AccessDenied");
    expect(untrusted.message).toContain("is not authorized to perform: sts:AssumeRole on resource:");
    const tooLong = await failure(
      sts(chainer).send(
        new AssumeRoleCommand({ RoleArn: role("target"), RoleSessionName: "other", DurationSeconds: 7200 }),
      ),
    );
    expect(tooLong.name).toBe("ValidationError");

    const assumed = await sts(chainer).send(
      new AssumeRoleCommand({ RoleArn: role("target"), RoleSessionName: "chained" }),
    );
    expect(assumed.AssumedRoleUser).toEqual({
      Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/target/chained`,
      AssumedRoleId: `${roleUniqueId(role("target"))}:chained`,
    });
    const credentials = assumed.Credentials as {
      AccessKeyId: string;
      SecretAccessKey: string;
      SessionToken: string;
      Expiration: Date;
    };
    expect(credentials.AccessKeyId).toMatch(/^ASIA/);
    expect(credentials.Expiration.getTime() - Date.now()).toBeLessThanOrEqual(3600_000);
    const chained = {
      accessKeyId: credentials.AccessKeyId,
      secretAccessKey: credentials.SecretAccessKey,
      sessionToken: credentials.SessionToken,
      expiration: credentials.Expiration,
    };
    expect((await sts(chained, true).send(new GetCallerIdentityCommand({}))).Arn).toBe(
      `arn:aws:sts::${ACCOUNT}:assumed-role/target/chained`,
    );
  });
});
