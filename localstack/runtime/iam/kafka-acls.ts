/**
 * Offline MSK IAM for Kafka: what each role of the template may do on the local cluster,
 * decided by the IAM evaluator (an {@link Authorizer}) on MSK's ARNs and written where the
 * broker enforces it — `kafka-cluster:Connect` in the allow-list file the broker's token
 * validator reads (localstack/services/kafka/msk-iam-validator), every other action as the
 * principal's Kafka ACLs (the broker's StandardAuthorizer; no ACL = deny).
 *
 * MSK's actions → Kafka ACLs (MSK: "Required actions"): ReadData and WriteData need
 * DescribeTopic as well (Kafka's READ/WRITE would imply DESCRIBE on their own, so a role
 * with only WriteData gets nothing, as in MSK), and nothing counts without Connect.
 */
import { renameSync, writeFileSync } from "node:fs";
import { type AllowAcl, CLUSTER_RESOURCE_NAME, replacePrincipalAcls } from "../../../core/kafka/acls.ts";
import {
  type Admin,
  type AwsCredentialsSource,
  createKafka,
  type KafkaSettings,
} from "../../../core/kafka/client.ts";
import { RuntimeError } from "../errors.ts";
import type { Authorizer } from "./types.ts";

export interface KafkaAclsScope {
  /** `arn:aws:kafka:<region>:<account>:cluster/<clusterName>/<uuid>` */
  readonly clusterArn: string;
  readonly clusterName: string;
  /** The cluster's topics (the template's and the broker's). */
  readonly topics: readonly string[];
  /** Consumer groups: the mappings' group ids and any the broker has. */
  readonly groups: readonly string[];
  /** Role ARNs (`arn:aws:iam::<account>:role/<name>`) of the template. */
  readonly roles: readonly string[];
  /** Where the broker reads the roles allowed to connect (kafka.ts `mskIamAllowListFile`). */
  readonly allowListFile: string;
}

export interface RoleKafkaRights {
  readonly role: string;
  /** Kafka's principal: `User:<role name>`. */
  readonly principal: string;
  readonly connect: boolean;
  readonly acls: readonly AllowAcl[];
}

/** MSK's topic and group ARNs of a cluster: `arn:…:topic/<cluster name>/<uuid>/<topic>`. */
export function mskResourceArn(clusterArn: string, kind: "topic" | "group", name: string): string {
  const match = /^(arn:[^:]+:kafka:[^:]*:[^:]*:)cluster\/([^/]+)\/([^/]+)$/.exec(clusterArn);
  if (!match) throw new RuntimeError(`not an MSK cluster ARN: ${clusterArn}`);
  const [, prefix, clusterName, uuid] = match;
  return `${prefix}${kind}/${clusterName}/${uuid}/${name}`;
}

/** A role ARN's name (the part after `role/` and any path): Kafka's principal is `User:<name>`. */
export function roleName(roleArn: string): string {
  return roleArn.slice(roleArn.lastIndexOf("/") + 1);
}

const TOPIC_RIGHTS: readonly { action: string; operation: AllowAcl["operation"]; needsDescribe?: boolean }[] =
  [
    { action: "kafka-cluster:DescribeTopic", operation: "DESCRIBE" },
    { action: "kafka-cluster:ReadData", operation: "READ", needsDescribe: true },
    { action: "kafka-cluster:WriteData", operation: "WRITE", needsDescribe: true },
    { action: "kafka-cluster:CreateTopic", operation: "CREATE" },
    { action: "kafka-cluster:DescribeTopicDynamicConfiguration", operation: "DESCRIBE_CONFIGS" },
  ];
const GROUP_RIGHTS = [
  { action: "kafka-cluster:DescribeGroup", operation: "DESCRIBE" },
  { action: "kafka-cluster:AlterGroup", operation: "READ" },
] as const;

/** What the Authorizer allows one role on the cluster, in the broker's terms. */
export async function kafkaRightsOf(
  authorizer: Authorizer,
  scope: Omit<KafkaAclsScope, "roles" | "allowListFile">,
  role: string,
): Promise<RoleKafkaRights> {
  const allows = async (action: string, resource: string) =>
    (await authorizer.decide({ principal: role, action, resource })).allowed;
  const principal = `User:${roleName(role)}`;
  if (!(await allows("kafka-cluster:Connect", scope.clusterArn)))
    return { role, principal, connect: false, acls: [] };
  const acls: AllowAcl[] = [];
  if (await allows("kafka-cluster:WriteDataIdempotently", scope.clusterArn)) {
    acls.push({ resource: "cluster", name: CLUSTER_RESOURCE_NAME, operation: "IDEMPOTENT_WRITE" });
  }
  for (const topic of scope.topics) {
    const arn = mskResourceArn(scope.clusterArn, "topic", topic);
    const granted = new Set<string>();
    for (const right of TOPIC_RIGHTS) if (await allows(right.action, arn)) granted.add(right.action);
    for (const right of TOPIC_RIGHTS) {
      if (!granted.has(right.action)) continue;
      if (right.needsDescribe && !granted.has("kafka-cluster:DescribeTopic")) continue;
      acls.push({ resource: "topic", name: topic, operation: right.operation });
    }
  }
  for (const group of scope.groups) {
    const arn = mskResourceArn(scope.clusterArn, "group", group);
    for (const right of GROUP_RIGHTS) {
      if (await allows(right.action, arn))
        acls.push({ resource: "group", name: group, operation: right.operation });
    }
  }
  return { role, principal, connect: true, acls };
}

/**
 * Gives every role of the template on the broker exactly what IAM allows it: the allow-list
 * of roles that may connect (rewritten whole, atomically) and each role's ACLs (replaced).
 * `admin` must be a super user's (the PLAINTEXT listener's ANONYMOUS). Run it after every
 * deploy and whenever topics or groups appear.
 */
export async function syncKafkaAcls(
  admin: Admin,
  authorizer: Authorizer,
  scope: KafkaAclsScope,
): Promise<RoleKafkaRights[]> {
  const rights: RoleKafkaRights[] = [];
  for (const role of scope.roles) rights.push(await kafkaRightsOf(authorizer, scope, role));
  for (const r of rights) await replacePrincipalAcls(admin, r.principal, r.acls);
  const lines = [
    "# Roles allowed kafka-cluster:Connect; written by the local runtime (iam/kafka-acls.ts).",
    `cluster=${scope.clusterArn}`,
    ...rights.filter((r) => r.connect).map((r) => roleName(r.role)),
  ];
  const partial = `${scope.allowListFile}.partial`;
  writeFileSync(partial, `${lines.join("\n")}\n`);
  renameSync(partial, scope.allowListFile);
  return rights;
}

/**
 * A Kafka client that connects as `role` through the broker's MSK IAM listener, as a
 * function with that role would: the token is signed with the role session's temporary
 * credentials (`credentials`, issued by the runtime: credentials.ts), which the broker's
 * validator verifies. With `brokers` it connects there; without, it asks
 * GetBootstrapBrokers for `kafka.clusterArn` under the role (the AWS API gateway answers).
 */
export function kafkaForRole(
  kafka: KafkaSettings,
  role: string,
  credentials: AwsCredentialsSource,
  brokers?: readonly string[],
) {
  const name = roleName(role);
  return createKafka(
    {
      ...kafka,
      auth: "iam",
      tls: false,
      brokers: brokers ? [...brokers] : kafka.brokers,
      clusterArn: brokers ? undefined : kafka.clusterArn,
    },
    `-${name}`,
    credentials,
  );
}
