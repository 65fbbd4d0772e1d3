import { describe, expect, it } from "vitest";
import { mskOauthBearerProvider, REFRESH_MARGIN_MS } from "./msk-iam.ts";

describe("MSK IAM OAUTHBEARER provider", () => {
  it("signs a real token with the default credentials chain (a presigned kafka-cluster:Connect URL)", async () => {
    const saved = { ...process.env };
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: "AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY: "secret" });
    try {
      const provider = mskOauthBearerProvider("eu-west-1");

      const { value } = await provider();

      const url = new URL(Buffer.from(value, "base64url").toString("utf8"));
      expect(url.hostname).toBe("kafka.eu-west-1.amazonaws.com");
      expect(url.searchParams.get("Action")).toBe("kafka-cluster:Connect");
      expect(url.searchParams.get("X-Amz-Credential")).toMatch(/^AKIDEXAMPLE\//);
    } finally {
      process.env = saved;
    }
  });

  it("reuses a fresh token and signs a new one shortly before expiry", async () => {
    let clock = 1_000_000;
    let signed = 0;
    const provider = mskOauthBearerProvider(
      "us-east-1",
      async () => ({ token: `token-${++signed}`, expiryTime: clock + 15 * 60_000 }),
      () => clock,
    );

    const first = await provider();
    clock += 10 * 60_000;
    const second = await provider();
    clock += 5 * 60_000 - REFRESH_MARGIN_MS + 1;
    const third = await provider();

    expect([first.value, second.value, third.value]).toEqual(["token-1", "token-1", "token-2"]);
  });

  it("shares one signing request between concurrent callers", async () => {
    let signed = 0;
    const provider = mskOauthBearerProvider("us-east-1", async () => {
      signed += 1;
      await new Promise((resolve) => setImmediate(resolve));
      return { token: "t", expiryTime: Date.now() + 900_000 };
    });

    await Promise.all([provider(), provider(), provider()]);

    expect(signed).toBe(1);
  });
});
