import { describe, expect, it } from "vitest";
import { fileToTopicSettings } from "../../lambdas/file-to-topic/settings.ts";
import { landingSettings } from "../../lambdas/land-records/settings.ts";
import { ConfigError, positiveSetting } from "./index.ts";

describe("positive settings", () => {
  it("takes the fallback when unset or empty and the value when positive", () => {
    expect(positiveSetting({}, "N", 7)).toBe(7);
    expect(positiveSetting({ N: "" }, "N", 7)).toBe(7);
    expect(positiveSetting({ N: "12" }, "N", 7)).toBe(12);
    expect(positiveSetting({ N: "0.5" }, "N", 7, "number")).toBe(0.5);
  });

  it("refuses anything else with a ConfigError naming the variable", () => {
    for (const bad of ["0", "-1", "x", "Infinity"]) {
      expect(() => positiveSetting({ N: bad }, "N", 7)).toThrow(ConfigError);
    }
    expect(() => positiveSetting({ N: "1.5" }, "N", 7)).toThrow(/N must be a positive integer, got "1.5"/);
  });

  it("is how every function's bad setting fails (one error type)", () => {
    expect(() => landingSettings({ MAX_RECORD_BYTES: "0" })).toThrow(ConfigError);
    expect(() => fileToTopicSettings({ FILE_TO_TOPIC_SAFETY_MS: "-5" })).toThrow(ConfigError);
  });
});
