import { describe, expect, it } from "vitest";
import { InvalidCustomResourceEvent } from "./errors.ts";
import { parseEvent } from "./provision.ts";
import { PHYSICAL_ID, responseBody } from "./respond.ts";

const event = {
  RequestType: "Create",
  ResponseURL: "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x?sig=1",
  StackId: "arn:aws:cloudformation:us-east-1:123456789012:stack/Pipeline-dev/1",
  RequestId: "req-1",
  LogicalResourceId: "StreamingTopics",
  ResourceType: "Custom::KafkaTopics",
  ServiceToken: "arn:aws:lambda:us-east-1:123456789012:function:provisioner",
  ResourceProperties: {
    ServiceToken: "arn:aws:lambda:us-east-1:123456789012:function:provisioner",
    Topics: [
      { topic: "elections.votes", partitions: "6", compacted: "false" },
      { topic: "aggregated_votes_per_candidate", partitions: "3", compacted: "true" },
    ],
    ReplicationFactor: "3",
  },
};

describe("topics custom resource event", () => {
  it("reads CloudFormation's stringly-typed properties back into numbers and booleans", () => {
    const parsed = parseEvent(event);

    expect(parsed.ResourceProperties.Topics).toEqual([
      { topic: "elections.votes", partitions: 6, compacted: false },
      { topic: "aggregated_votes_per_candidate", partitions: 3, compacted: true },
    ]);
  });

  it("reads the replication factor the stack chose for its cluster", () => {
    expect(parseEvent(event).ResourceProperties.ReplicationFactor).toBe(3);
  });

  it("refuses an event without topics or without a replication factor", () => {
    expect(() => parseEvent({ ...event, ResourceProperties: {} })).toThrow(InvalidCustomResourceEvent);
    const { ReplicationFactor: _, ...withoutFactor } = event.ResourceProperties;
    expect(() => parseEvent({ ...event, ResourceProperties: withoutFactor })).toThrow(/ReplicationFactor/);
  });

  it("answers with a stable physical id and caps the reason CloudFormation shows", () => {
    const body = responseBody(parseEvent(event), { status: "FAILED", reason: "x".repeat(10_000) });

    expect(body).toMatchObject({ Status: "FAILED", PhysicalResourceId: PHYSICAL_ID, RequestId: "req-1" });
    expect(body.Reason.length).toBe(3_000);
  });
});
