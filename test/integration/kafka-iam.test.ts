/**
 * Offline Kafka obeys MSK IAM: through the broker's SASL listener, with the real
 * aws-msk-iam-sasl-signer-js token, a role connects only with kafka-cluster:Connect and
 * reads/writes only what its IAM rights allow (syncKafkaAcls → the broker's ACLs), and the
 * token's SigV4 signature is verified against the credentials the runtime issued to the
 * role's session (a forged key id, a wrong secret, a missing or expired token fail). The
 * Authorizer here is a small table of grants; the broker's behaviour is what is under test.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { Kafka } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../core/config/index.ts";
import { connectProducer, createKafka, ensureTopics, type KafkaMessage } from "../../core/kafka/client.ts";
import { type AwsCredentials, signWith } from "../../core/kafka/msk-iam.ts";
import { CredentialStore } from "../../localstack/runtime/iam/credentials.ts";
import { kafkaForRole, mskResourceArn, syncKafkaAcls } from "../../localstack/runtime/iam/kafka-acls.ts";
import type { AccessRequest, Authorizer } from "../../localstack/runtime/iam/types.ts";
import { mskIamAllowListFile, mskIamCredentialsDir } from "../../localstack/services/kafka/kafka.ts";
import { servicesSettings } from "../../localstack/services/settings.ts";
import { until } from "../fixtures/until.ts";

const run = randomUUID().slice(0, 8);
const clusterName = "pipeline-local";
const clusterArn = `arn:aws:kafka:us-east-1:000000000000:cluster/${clusterName}/00000000-0000-0000-0000-000000000000-1`;
const topic = `iam-test-${run}`;
const group = `iam-group-${run}`;
const role = (name: string) => `arn:aws:iam::000000000000:role/${name}-${run}`;
const topicArn = mskResourceArn(clusterArn, "topic", topic);
const groupArn = mskResourceArn(clusterArn, "group", group);

const writer = role("writer");
const noWriteData = role("no-write-data");
const noConnect = role("no-connect");
const reader = role("reader");
const readerWithoutGroup = role("reader-without-group");
const readerWithoutAlterGroup = role("reader-without-alter-group");

/** role → "action resource" it is allowed. */
const grants = new Map<string, string[]>([
  [
    writer,
    [
      `kafka-cluster:Connect ${clusterArn}`,
      `kafka-cluster:WriteDataIdempotently ${clusterArn}`,
      `kafka-cluster:DescribeTopic ${topicArn}`,
      `kafka-cluster:WriteData ${topicArn}`,
    ],
  ],
  [
    noWriteData,
    [
      `kafka-cluster:Connect ${clusterArn}`,
      `kafka-cluster:WriteDataIdempotently ${clusterArn}`,
      `kafka-cluster:DescribeTopic ${topicArn}`,
    ],
  ],
  [noConnect, [`kafka-cluster:DescribeTopic ${topicArn}`, `kafka-cluster:WriteData ${topicArn}`]],
  [
    reader,
    [
      `kafka-cluster:Connect ${clusterArn}`,
      `kafka-cluster:DescribeTopic ${topicArn}`,
      `kafka-cluster:ReadData ${topicArn}`,
      `kafka-cluster:DescribeGroup ${groupArn}`,
      `kafka-cluster:AlterGroup ${groupArn}`,
    ],
  ],
  [
    readerWithoutAlterGroup,
    [
      `kafka-cluster:Connect ${clusterArn}`,
      `kafka-cluster:DescribeTopic ${topicArn}`,
      `kafka-cluster:ReadData ${topicArn}`,
      `kafka-cluster:DescribeGroup ${groupArn}`,
    ],
  ],
  [
    readerWithoutGroup,
    [
      `kafka-cluster:Connect ${clusterArn}`,
      `kafka-cluster:DescribeTopic ${topicArn}`,
      `kafka-cluster:ReadData ${topicArn}`,
    ],
  ],
]);
const authorizer: Authorizer = {
  decide: async ({ principal, action, resource }: AccessRequest) => {
    const allowed = grants.get(principal)?.includes(`${action} ${resource}`) ?? false;
    return { allowed, explanation: allowed ? "granted" : "no statement allows it" };
  },
};

/** kcat (Debian package `kcat`): a Kafka client nobody here wrote, if installed. */
const hasKcat = spawnSync("kcat", ["-V"]).status === 0;

const settings = servicesSettings();
const iamBrokers = [`127.0.0.1:${settings.ports.kafkaIam}`];
const kafkaSettings = loadConfig().kafka;
/** The runtime's credential store, mirrored where the broker's validator reads it. */
const store = new CredentialStore({ mirrorDir: mskIamCredentialsDir(settings) });
const sessionOf = (roleArn: string) => store.issue(roleArn, { sessionName: "kafka-iam-test" });

/** The kafkajs error type somewhere in an error's cause chain (kafkajs wraps retried errors). */
function kafkaErrorTypes(error: unknown): string[] {
  const types: string[] = [];
  for (
    let e = error as { type?: string; cause?: unknown; name?: string } | undefined;
    e;
    e = e.cause as typeof e
  ) {
    if (e.type) types.push(e.type);
    if (e.name) types.push(e.name);
  }
  return types;
}

async function produceAs(roleArn: string) {
  const producer = await connectProducer(
    kafkaForRole(kafkaSettings, roleArn, sessionOf(roleArn), iamBrokers),
  );
  try {
    await producer.send({ topic, messages: [{ key: "k", value: `from ${roleArn}` }], acks: -1 });
  } finally {
    await producer.disconnect();
  }
}

/** Consumes the topic as a role; resolves with the first message or rejects with the crash. */
async function firstMessageAs(roleArn: string): Promise<KafkaMessage> {
  const consumer = kafkaForRole(kafkaSettings, roleArn, sessionOf(roleArn), iamBrokers).consumer({
    groupId: group,
  });
  try {
    return await new Promise<KafkaMessage>((resolve, reject) => {
      // A retriable crash (the coordinator loading on a fresh broker) restarts the consumer.
      consumer.on(consumer.events.CRASH, (event) => {
        if (!event.payload.restart) reject(event.payload.error);
      });
      consumer
        .connect()
        .then(() => consumer.subscribe({ topics: [topic], fromBeginning: true }))
        .then(() => consumer.run({ eachMessage: async ({ message }) => resolve(message) }))
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
}

describe("offline Kafka obeys MSK IAM (SASL/OAUTHBEARER listener + ACLs)", () => {
  const admin = createKafka(kafkaSettings, "-iam-test").admin();

  beforeAll(async () => {
    await admin.connect();
    await ensureTopics(admin, [{ topic, partitions: 1 }]);
    await syncKafkaAcls(admin, authorizer, {
      clusterArn,
      clusterName,
      topics: [topic],
      groups: [group],
      roles: [...grants.keys()],
      allowListFile: mskIamAllowListFile(settings),
    });
  });

  afterAll(async () => {
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.disconnect();
    store.close();
  });

  it("lets a role with WriteData produce with the signer's token", async () => {
    await expect(produceAs(writer)).resolves.toBeUndefined();
  });

  it("refuses a role without WriteData with Kafka's TOPIC_AUTHORIZATION_FAILED", async () => {
    const error = await produceAs(noWriteData).catch((e: unknown) => e);
    expect(kafkaErrorTypes(error)).toContain("TOPIC_AUTHORIZATION_FAILED");
  });

  it("fails the authentication of a role without kafka-cluster:Connect", async () => {
    const error = await produceAs(noConnect).catch((e: unknown) => e);
    expect(kafkaErrorTypes(error)).toContain("KafkaJSSASLAuthenticationError");
    expect(String((error as Error).message)).toContain(
      `Access denied: no-connect-${run} is not authorized to perform kafka-cluster:Connect on ${clusterArn}`,
    );
  });

  it("refuses a consumer without AlterGroup on its group with GROUP_AUTHORIZATION_FAILED", async () => {
    const error = await firstMessageAs(readerWithoutAlterGroup).catch((e: unknown) => e);
    expect(kafkaErrorTypes(error)).toContain("GROUP_AUTHORIZATION_FAILED");
  });

  it("refuses a consumer without DescribeGroup before it finds its coordinator", async () => {
    // The broker answers FindCoordinator with GROUP_AUTHORIZATION_FAILED (its log says so);
    // kafkajs reports that as not finding the coordinator.
    const error = await firstMessageAs(readerWithoutGroup).catch((e: unknown) => e);
    expect(kafkaErrorTypes(error)).toContain("KafkaJSGroupCoordinatorNotFound");
  });

  it("lets a role with ReadData and the group's rights consume", async () => {
    const message = await firstMessageAs(reader);
    expect(message.value?.toString()).toBe(`from ${writer}`);
  });

  it("refuses tokens that are not MSK IAM Connect tokens (malformed, another action, expired)", async () => {
    const url = (query: string) =>
      Buffer.from(`https://kafka.us-east-1.amazonaws.com/?${query}`).toString("base64url");
    const now = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+/, "");
    const signed = (action: string, date: string) =>
      url(
        `Action=${encodeURIComponent(action)}&X-Amz-Algorithm=AWS4-HMAC-SHA256` +
          `&X-Amz-Credential=${encodeURIComponent(`${run}/20261201/us-east-1/kafka-cluster/aws4_request`)}` +
          `&X-Amz-Date=${date}&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=00`,
      );
    const cases = {
      "not a base64url-encoded URL": Buffer.from("not a url").toString("base64url"),
      "not a presigned https://kafka.<region>.amazonaws.com/ URL": Buffer.from(
        "https://example.com/?Action=x",
      ).toString("base64url"),
      "Action=kafka-cluster:WriteData": signed("kafka-cluster:WriteData", now),
      "the token expired": signed("kafka-cluster:Connect", "20200101T000000Z"),
    };
    for (const [why, token] of Object.entries(cases)) {
      const client = new Kafka({
        brokers: iamBrokers,
        sasl: { mechanism: "oauthbearer", oauthBearerProvider: async () => ({ value: token }) },
        retry: { retries: 0 },
      }).admin();
      const error = await client.connect().catch((e: unknown) => e);
      await client.disconnect();
      expect(String((error as Error).message), why).toContain(why);
    }
  });

  it("verifies the token's signature against the issued credentials (forged key id, wrong secret, no or expired session token)", async () => {
    const { accessKeyId, secretAccessKey, sessionToken } = sessionOf(writer);
    const other = sessionOf(noConnect);
    const expiring = store.issue(writer, { sessionName: "kafka-iam-test", durationSeconds: 1 });
    await until("the session's credentials to expire", () =>
      Date.now() > expiring.expiration.getTime() ? true : undefined,
    );
    const tokenOf = async (credentials: AwsCredentials) => (await signWith(credentials)("us-east-1")).token;
    const valid = await tokenOf({ accessKeyId, secretAccessKey, sessionToken });
    const tampered = Buffer.from(
      Buffer.from(valid, "base64url")
        .toString()
        .replace(/X-Amz-Signature=([0-9a-f])/, (_, c: string) => `X-Amz-Signature=${c === "0" ? "1" : "0"}`),
    ).toString("base64url");
    const cases: Record<string, string> = {
      // Another role's process claims the writer's key id; it knows only its own secret.
      "(SignatureDoesNotMatch)": await tokenOf({
        accessKeyId,
        secretAccessKey: other.secretAccessKey,
        sessionToken,
      }),
      "the signature does not match": tampered,
      "the session token is missing": await tokenOf({ accessKeyId, secretAccessKey }),
      "(ExpiredToken)": await tokenOf({
        accessKeyId: expiring.accessKeyId,
        secretAccessKey: expiring.secretAccessKey,
        sessionToken: expiring.sessionToken,
      }),
      "was not issued": await tokenOf({ accessKeyId: "ASIAFAKEFORGEDKEY000", secretAccessKey, sessionToken }),
    };
    for (const [why, token] of Object.entries(cases)) {
      const client = new Kafka({
        brokers: iamBrokers,
        sasl: { mechanism: "oauthbearer", oauthBearerProvider: async () => ({ value: token }) },
        retry: { retries: 0 },
      }).admin();
      const error = await client.connect().catch((e: unknown) => e);
      await client.disconnect();
      expect(String((error as Error | undefined)?.message), why).toContain(why);
    }
  });

  it.skipIf(!hasKcat)(
    "leaves the PLAINTEXT listener open to operators (ANONYMOUS, a super user), by kcat",
    () => {
      const metadata = JSON.parse(
        execFileSync(
          "kcat",
          ["-b", `127.0.0.1:${settings.ports.kafka}`, "-L", "-J", "-t", topic, "-m", "10"],
          {
            encoding: "utf8",
          },
        ),
      ) as { topics: { topic: string; error?: string }[] };
      expect(metadata.topics).toEqual([expect.objectContaining({ topic })]);
      expect(metadata.topics[0]?.error).toBeUndefined();
    },
  );

  it.skipIf(!hasKcat)("refuses kcat's unsecured OAUTHBEARER token on the IAM listener", () => {
    const args = ["-b", iamBrokers[0] ?? "", "-L", "-m", "5"];
    const sasl = ["-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanisms=OAUTHBEARER"];
    const listing = spawnSync(
      "kcat",
      [...args, ...sasl, "-X", "sasl.oauthbearer.config=principal=operator"],
      {
        encoding: "utf8",
      },
    );
    expect(listing.status).not.toBe(0);
    expect(listing.stderr).toContain("Failed to acquire metadata");
  });
});
