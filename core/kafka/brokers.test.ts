import type { GetBootstrapBrokersCommand } from "@aws-sdk/client-kafka";
import { beforeEach, describe, expect, it } from "vitest";
import { BrokerLookupError, bootstrapBrokers, clearBrokerCache, parseBrokerString } from "./brokers.ts";

/** Records the GetBootstrapBrokers requests it answers. */
function brokersSource(answers: (() => Promise<Record<string, string>>)[]) {
  const requests: string[] = [];
  return {
    requests,
    async send(command: GetBootstrapBrokersCommand) {
      requests.push(command.input.ClusterArn ?? "");
      const next = answers.shift();
      if (!next) throw new Error("no more answers");
      return next();
    },
  };
}

const ARN = "arn:aws:kafka:us-east-1:123456789012:cluster/pipeline-dev/abcd-1234";

describe("MSK bootstrap brokers", () => {
  beforeEach(() => clearBrokerCache());

  it("asks GetBootstrapBrokers once per cluster and caches the IAM brokers", async () => {
    const source = brokersSource([async () => ({ BootstrapBrokerStringSaslIam: "b-1.x:9098,b-2.x:9098" })]);

    const first = await bootstrapBrokers(ARN, source);
    const second = await bootstrapBrokers(ARN, source);

    expect(first).toEqual(["b-1.x:9098", "b-2.x:9098"]);
    expect(second).toBe(first);
    expect(source.requests).toEqual([ARN]);
  });

  it("does not cache a failed lookup: the next call asks again", async () => {
    const source = brokersSource([
      async () => {
        throw new Error("throttled");
      },
      async () => ({ BootstrapBrokerStringSaslIam: "b-1.x:9098" }),
    ]);

    await expect(bootstrapBrokers(ARN, source)).rejects.toThrow(BrokerLookupError);
    expect(await bootstrapBrokers(ARN, source)).toEqual(["b-1.x:9098"]);
  });

  it("refuses a cluster without IAM brokers", async () => {
    const source = brokersSource([async () => ({ BootstrapBrokerStringTls: "b-1.x:9094" })]);

    await expect(bootstrapBrokers(ARN, source)).rejects.toThrow(/no IAM bootstrap brokers/);
  });

  it("splits and trims broker strings", () => {
    expect(parseBrokerString(" a:1 , b:2,, ")).toEqual(["a:1", "b:2"]);
  });
});
