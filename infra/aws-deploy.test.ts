/**
 * What a real deploy (and its delete or rollback) needs from the AWS template, beyond what
 * the offline run shows: issue 12's template bugs, each asserted where it would bite.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { resourcesOf, stateMachineDefinition, synthesize } from "../test/fixtures/stacks.ts";
import type { InfraConfigInput } from "./config.ts";
import { TOPICS_SERVICE_TIMEOUT } from "./constructs/streaming.ts";

type Resource = {
  Type: string;
  Properties?: Record<string, unknown>;
  DependsOn?: string[];
  DeletionPolicy?: string;
};

const AWS_CONFIGURATIONS: InfraConfigInput[] = [
  {},
  { warehouse: "postgres" },
  { kafkaMode: "provisioned", natGateway: true, warehouse: "postgres" },
];

function topicsResource(context: InfraConfigInput): Resource {
  const found = Object.values(resourcesOf(synthesize(context).template, "Custom::KafkaTopics"));
  expect(found).toHaveLength(1);
  return found[0] as Resource;
}

describe("the AWS template deploys, deletes and rolls back", () => {
  for (const context of AWS_CONFIGURATIONS) {
    it(`puts no dynamic reference in any function's environment: ${JSON.stringify(context)}`, () => {
      // CloudFormation resolves {{resolve:…}} once, at deploy time: a secret filled afterwards is
      // never seen, and the resolved value shows in the function's configuration.
      const functions = resourcesOf(synthesize(context).template, "AWS::Lambda::Function");
      const offending = Object.entries(functions).flatMap(([id, fn]) => {
        const variables =
          (fn.Properties?.Environment as { Variables?: Record<string, unknown> })?.Variables ?? {};
        return Object.entries(variables)
          .filter(([, value]) => JSON.stringify(value).includes("{{resolve:"))
          .map(([name]) => `${id} ${name}`);
      });
      expect(offending).toEqual([]);
    });

    it(`deletes the topics resource before the routes and endpoints it answers through: ${JSON.stringify(context)}`, () => {
      const { template } = synthesize(context);
      const topics = topicsResource(context);
      const needed = [
        ...Object.keys(resourcesOf(template, "AWS::EC2::VPCEndpoint")),
        ...Object.keys(resourcesOf(template, "AWS::EC2::SubnetRouteTableAssociation")),
        ...Object.keys(resourcesOf(template, "AWS::EC2::Route")),
        ...Object.keys(resourcesOf(template, "AWS::EC2::RouteTable")),
      ];
      expect(needed.length).toBeGreaterThan(4);
      expect(topics.DependsOn ?? []).toEqual(expect.arrayContaining(needed));
      // And if its answer still can't get out, the resource fails after minutes, not an hour.
      expect(topics.Properties?.ServiceTimeout).toBe(String(TOPICS_SERVICE_TIMEOUT.toSeconds()));
      expect(TOPICS_SERVICE_TIMEOUT.toSeconds()).toBeLessThanOrEqual(600);
    });
  }

  it("creates topics with 3 copies on MSK Serverless, 2 on the 2-broker provisioned cluster, 1 offline", () => {
    expect(topicsResource({}).Properties?.ReplicationFactor).toBe("3");
    expect(topicsResource({ kafkaMode: "provisioned" }).Properties?.ReplicationFactor).toBe("2");
    expect(topicsResource({ target: "local" }).Properties?.ReplicationFactor).toBe("1");
  });

  it("gives the flow log group the stack's log retention and removal policy", () => {
    const context: InfraConfigInput = { logRetentionDays: 7, removalPolicy: "destroy" };
    const { template } = synthesize(context);
    const flowLog = Object.values(resourcesOf(template, "AWS::EC2::FlowLog"))[0];
    const groupId = (flowLog?.Properties?.LogGroupName as { Ref?: string } | undefined)?.Ref ?? "";
    const group = resourcesOf(template, "AWS::Logs::LogGroup")[groupId] as Resource;
    expect(group.Properties?.RetentionInDays).toBe(7);
    expect(group.DeletionPolicy).toBe("Delete");
    // Every log group follows the stack's settings.
    for (const [id, g] of Object.entries(
      resourcesOf(template, "AWS::Logs::LogGroup") as Record<string, Resource>,
    )) {
      expect(g.DeletionPolicy, id).toBe("Delete");
    }
  });

  it("builds the dbt image for the task's CPU architecture, whatever machine deploys", () => {
    const { app, stack, template } = synthesize({});
    const manifest = JSON.parse(
      readFileSync(join(app.synth().directory, `${stack.artifactId}.assets.json`), "utf8"),
    ) as { dockerImages: Record<string, { source: { directory: string; platform?: string } }> };
    const images = Object.values(manifest.dockerImages);
    expect(images).toHaveLength(1);
    const task = Object.values(resourcesOf(template, "AWS::ECS::TaskDefinition"))[0];
    const architecture = (task?.Properties?.RuntimePlatform as { CpuArchitecture?: string } | undefined)
      ?.CpuArchitecture;
    expect({ architecture, platform: images[0]?.source.platform }).toEqual({
      architecture: "X86_64",
      platform: "linux/amd64",
    });
  });

  it("retries the dbt task on ECS errors only, never on a failed build (States.TaskFailed)", () => {
    type State = {
      Type: string;
      Resource?: string;
      Retry?: { ErrorEquals: string[] }[];
      ItemProcessor?: { States: Record<string, State> };
    };
    const states = stateMachineDefinition(synthesize({}).template).States as Record<string, State>;
    const all = [
      ...Object.values(states),
      ...Object.values(states["Backfill days"]?.ItemProcessor?.States ?? {}),
    ];
    const dbt = all.filter((s) => s.Resource === "arn:aws:states:::ecs:runTask.sync");
    expect(dbt).toHaveLength(2);
    for (const state of dbt) {
      const retried = (state.Retry ?? []).flatMap((r) => r.ErrorEquals);
      expect(retried).toContain("ECS.AmazonECSException");
      expect(retried).not.toContain("States.TaskFailed");
      expect(retried).not.toContain("States.ALL");
    }
  });
});
