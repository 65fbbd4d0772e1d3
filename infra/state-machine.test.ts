/** The synthesized "pipeline run" definition is valid Amazon States Language, on both targets. */
import aslValidator from "asl-validator";
import { describe, expect, it } from "vitest";
import { stateMachineDefinition, synthesize } from "../test/fixtures/stacks.ts";

describe("pipeline run state machine", () => {
  // Synthesized while collecting: synthesis is slow on a busy machine, tests stay fast.
  const definitions = {
    aws: stateMachineDefinition(synthesize().template),
    local: stateMachineDefinition(synthesize({ target: "local" }).template),
  };

  for (const target of ["aws", "local"] as const) {
    it(`passes asl-validator (${target} target)`, () => {
      const definition = definitions[target];

      const { isValid, errorsText } = aslValidator(definition);

      expect(errorsText("\n")).toBe("");
      expect(isValid).toBe(true);
    });
  }

  it("is rejected by asl-validator when a state points nowhere (the check can fail)", () => {
    const definition = structuredClone(definitions.aws);
    (definition.States as Record<string, Record<string, unknown>>)["Merge input"] = {
      Type: "Pass",
      Next: "No such state",
    };

    const { isValid } = aslValidator(definition);

    expect(isValid).toBe(false);
  });
});
