/**
 * Kafka ACLs in our own terms, so the kafkajs enums stay in this folder: a principal's
 * ALLOW entries (LITERAL names, any host) replaced by exactly a wanted set. Offline MSK IAM
 * (localstack/runtime/iam/kafka-acls.ts) is built on it.
 */
import kafkajs, { type AclEntry, type Admin } from "kafkajs";

// kafkajs is CommonJS and Node's ESM loader can't see its enums as named exports (vitest's
// interop can, so only a plain `node` run shows it): take them from the default export.
const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } = kafkajs;
type AclResourceTypes = (typeof AclResourceTypes)[keyof typeof AclResourceTypes];

export type AclResource = "topic" | "group" | "cluster";
export type AclOperation = "DESCRIBE" | "READ" | "WRITE" | "CREATE" | "DESCRIBE_CONFIGS" | "IDEMPOTENT_WRITE";

export interface AllowAcl {
  readonly resource: AclResource;
  /** The topic or group name; the cluster's is `kafka-cluster`. */
  readonly name: string;
  readonly operation: AclOperation;
}

/** The name Kafka gives the cluster resource. */
export const CLUSTER_RESOURCE_NAME = "kafka-cluster";

const RESOURCE_TYPES: Record<AclResource, AclResourceTypes> = {
  topic: AclResourceTypes.TOPIC,
  group: AclResourceTypes.GROUP,
  cluster: AclResourceTypes.CLUSTER,
};

const key = (acl: AllowAcl) => `${acl.resource}\u0000${acl.name}\u0000${acl.operation}`;

/**
 * Makes `principal`'s ACLs (e.g. `User:my-role`) exactly `wanted`: missing ones are created,
 * any other entry of the principal (a DENY, a prefixed pattern, a right taken away) deleted.
 */
export async function replacePrincipalAcls(
  admin: Admin,
  principal: string,
  wanted: readonly AllowAcl[],
): Promise<{ created: number; deleted: number }> {
  const current = await admin.describeAcls({
    principal,
    resourceType: AclResourceTypes.ANY,
    resourcePatternType: ResourcePatternTypes.ANY,
    operation: AclOperationTypes.ANY,
    permissionType: AclPermissionTypes.ANY,
  });
  const want = new Map(wanted.map((acl) => [key(acl), acl]));
  const have = new Set<string>();
  const stale: AclEntry[] = [];
  for (const resource of current.resources) {
    for (const acl of resource.acls) {
      const entry = { ...resource, ...acl } as AclEntry & { acls?: unknown };
      delete entry.acls;
      const mine = fromEntry(entry);
      if (mine && want.has(key(mine))) have.add(key(mine));
      else stale.push(entry);
    }
  }
  const missing = [...want.values()].filter((acl) => !have.has(key(acl)));
  if (stale.length > 0) await admin.deleteAcls({ filters: stale });
  if (missing.length > 0) await admin.createAcls({ acl: missing.map((acl) => toEntry(principal, acl)) });
  return { created: missing.length, deleted: stale.length };
}

function toEntry(principal: string, acl: AllowAcl): AclEntry {
  return {
    principal,
    host: "*",
    resourceType: RESOURCE_TYPES[acl.resource],
    resourceName: acl.name,
    resourcePatternType: ResourcePatternTypes.LITERAL,
    operation: AclOperationTypes[acl.operation],
    permissionType: AclPermissionTypes.ALLOW,
  };
}

/** Our view of an entry, or undefined for one we never write (DENY, prefixed, a host). */
function fromEntry(entry: AclEntry): AllowAcl | undefined {
  const resource = (Object.keys(RESOURCE_TYPES) as AclResource[]).find(
    (r) => RESOURCE_TYPES[r] === entry.resourceType,
  );
  const operation = (Object.keys(AclOperationTypes) as AclOperation[]).find(
    (op) => AclOperationTypes[op] === entry.operation,
  );
  const ours =
    entry.permissionType === AclPermissionTypes.ALLOW &&
    entry.resourcePatternType === ResourcePatternTypes.LITERAL &&
    entry.host === "*";
  return ours && resource && operation ? { resource, name: entry.resourceName, operation } : undefined;
}
