/**
 * cdk-nag (AwsSolutions and Serverless packs, v3 validation plugins): zero unacknowledged
 * findings on both targets and the AWS options; every acknowledgement carries a reason.
 */
import { App, Stack, Validations } from "aws-cdk-lib";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { AwsSolutionsChecks, ServerlessChecks } from "cdk-nag";
import type { IConstruct } from "constructs";
import { describe, expect, it } from "vitest";
import { synthesize } from "../test/fixtures/stacks.ts";
import { addNagChecks } from "./nag.ts";

/** Every acknowledgement recorded in the tree: rule id → reason. */
function acknowledgements(scope: IConstruct): [string, unknown][] {
  return scope.node
    .findAll()
    .flatMap((c) => c.node.metadata)
    .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
    .flatMap((m) => Object.entries(m.data as Record<string, unknown>));
}

describe("cdk-nag", () => {
  const configurations = [
    { target: "aws" },
    { target: "local" },
    { target: "aws", kafkaMode: "provisioned", natGateway: true, alertEmail: "ops@example.com" },
    { target: "aws", warehouse: "postgres", removalPolicy: "destroy" },
  ] as const;

  for (const context of configurations) {
    it(`finds nothing unacknowledged in either pack: ${JSON.stringify(context)}`, () => {
      const { stack } = synthesize(context); // synthesis itself fails on an unacknowledged finding

      const reports = [new AwsSolutionsChecks(), new ServerlessChecks()].map((pack) =>
        pack.validateScope(stack),
      );

      for (const report of reports) {
        expect(report.violations).toEqual([]);
        expect(report.success).toBe(true);
      }
      const acknowledged = acknowledgements(stack);
      expect(acknowledged.length).toBeGreaterThan(0);
      for (const [id, reason] of acknowledged) expect(String(reason).length, id).toBeGreaterThan(20);
    }, 120_000);
  }

  it("fails the synth on an unacknowledged finding (the check can fail)", () => {
    const app = new App();
    const stack = new Stack(app, "Bare");
    new sqs.Queue(stack, "Unencrypted", { encryption: sqs.QueueEncryption.UNENCRYPTED });
    addNagChecks(app);

    expect(() => app.synth()).toThrow(/AwsSolutions-SQS/);
  });

  it("lets an acknowledged finding through", () => {
    const app = new App();
    const stack = new Stack(app, "Acknowledged");
    const queue = new sqs.Queue(stack, "Unencrypted", { encryption: sqs.QueueEncryption.UNENCRYPTED });
    for (const id of [
      "AwsSolutions-SQS2",
      "AwsSolutions-SQS3",
      "AwsSolutions-SQS4",
      "Serverless-SQSRedrivePolicy",
    ]) {
      Validations.of(queue).acknowledge({ id, reason: "test" });
    }
    addNagChecks(app);

    expect(() => app.synth()).not.toThrow();
  });
});
