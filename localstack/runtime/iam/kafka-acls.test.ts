import { describe, expect, it } from "vitest";
import { kafkaRightsOf, mskResourceArn, roleName } from "./kafka-acls.ts";
import type { Authorizer } from "./types.ts";

const clusterArn = "arn:aws:kafka:us-east-1:000000000000:cluster/pipeline-local/uuid-1";
const role = "arn:aws:iam::000000000000:role/pipeline-local-producer";

/** Allows exactly the listed "action resource" pairs. */
function authorizerAllowing(...grants: string[]): Authorizer {
  return {
    decide: async ({ action, resource }) => ({
      allowed: grants.includes(`${action} ${resource}`),
      explanation: "",
    }),
  };
}

const scope = { clusterArn, clusterName: "pipeline-local", topics: ["t"], groups: ["g"] };
const topicArn = mskResourceArn(clusterArn, "topic", "t");
const groupArn = mskResourceArn(clusterArn, "group", "g");

describe("MSK IAM rights → Kafka ACLs", () => {
  it("builds MSK's topic and group ARNs from the cluster ARN", () => {
    expect(topicArn).toBe("arn:aws:kafka:us-east-1:000000000000:topic/pipeline-local/uuid-1/t");
    expect(groupArn).toBe("arn:aws:kafka:us-east-1:000000000000:group/pipeline-local/uuid-1/g");
    expect(roleName(role)).toBe("pipeline-local-producer");
  });

  it("maps each kafka-cluster action to its ACL operation", async () => {
    const rights = await kafkaRightsOf(
      authorizerAllowing(
        `kafka-cluster:Connect ${clusterArn}`,
        `kafka-cluster:WriteDataIdempotently ${clusterArn}`,
        `kafka-cluster:DescribeTopic ${topicArn}`,
        `kafka-cluster:WriteData ${topicArn}`,
        `kafka-cluster:ReadData ${topicArn}`,
        `kafka-cluster:CreateTopic ${topicArn}`,
        `kafka-cluster:DescribeTopicDynamicConfiguration ${topicArn}`,
        `kafka-cluster:DescribeGroup ${groupArn}`,
        `kafka-cluster:AlterGroup ${groupArn}`,
      ),
      scope,
      role,
    );
    expect(rights.principal).toBe("User:pipeline-local-producer");
    expect(rights.connect).toBe(true);
    expect(rights.acls).toEqual([
      { resource: "cluster", name: "kafka-cluster", operation: "IDEMPOTENT_WRITE" },
      { resource: "topic", name: "t", operation: "DESCRIBE" },
      { resource: "topic", name: "t", operation: "READ" },
      { resource: "topic", name: "t", operation: "WRITE" },
      { resource: "topic", name: "t", operation: "CREATE" },
      { resource: "topic", name: "t", operation: "DESCRIBE_CONFIGS" },
      { resource: "group", name: "g", operation: "DESCRIBE" },
      { resource: "group", name: "g", operation: "READ" },
    ]);
  });

  it("gives WriteData or ReadData without DescribeTopic nothing, as MSK requires both", async () => {
    const rights = await kafkaRightsOf(
      authorizerAllowing(
        `kafka-cluster:Connect ${clusterArn}`,
        `kafka-cluster:WriteData ${topicArn}`,
        `kafka-cluster:ReadData ${topicArn}`,
      ),
      scope,
      role,
    );
    expect(rights.acls).toEqual([]);
  });

  it("gives a role without Connect no ACL at all", async () => {
    const rights = await kafkaRightsOf(
      authorizerAllowing(`kafka-cluster:DescribeTopic ${topicArn}`, `kafka-cluster:WriteData ${topicArn}`),
      scope,
      role,
    );
    expect(rights).toMatchObject({ connect: false, acls: [] });
  });
});
