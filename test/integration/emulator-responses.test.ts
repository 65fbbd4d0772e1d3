/**
 * serve.py speeds moto up (it writes DynamoDB attribute values itself instead of through the
 * model's generic serializer, and remembers which backend serves a host: docs/PERFORMANCE.md),
 * and must change no answer. The same requests — every attribute type, every operation that
 * returns items, a refused condition, a missing table — against moto as it ships and against
 * moto with serve.py loaded give the same statuses and bodies (the table's creation time and
 * id aside, which differ between any two runs).
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { emulatorVenv } from "../../localstack/services/aws-emulator/aws-emulator.ts";

const run = promisify(execFile);
const CHECK = join(import.meta.dirname, "../../localstack/services/aws-emulator/responses_check.py");
/** What differs between two runs of the same requests, whoever serializes. */
const PER_RUN = new Set(["CreationDateTime", "TableId"]);

type Answer = [operation: string, status: number, body: unknown];

async function answers(mode: "plain" | "patched"): Promise<Answer[]> {
  const { stdout } = await run(emulatorVenv().bin("python"), [CHECK, mode], { maxBuffer: 1 << 24 });
  const withoutPerRun = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(withoutPerRun)
      : value && typeof value === "object"
        ? Object.fromEntries(
            Object.entries(value)
              .filter(([k]) => !PER_RUN.has(k))
              .map(([k, v]) => [k, withoutPerRun(v)]),
          )
        : value;
  return stdout
    .trim()
    .split("\n")
    .map((line) => {
      const [operation, status, body] = JSON.parse(line) as [string, number, string];
      return [operation, status, withoutPerRun(body ? JSON.parse(body) : body)];
    });
}

describe("the AWS emulator's DynamoDB answers with serve.py's patches", () => {
  it("are moto's own for every attribute type and item operation", async () => {
    const [plain, patched] = await Promise.all([answers("plain"), answers("patched")]);
    expect(plain).toHaveLength(23);
    expect(patched).toEqual(plain);
    // The set exercises what it claims: items with binaries come back, a condition is refused, a table is missing, an item is too large.
    const bodies = JSON.stringify(plain);
    expect(bodies).toContain('"B":"AAFiaW5hcnk="');
    expect(plain.map(([, status]) => status)).toContain(400);
    expect(bodies).toContain("ConditionalCheckFailedException");
    expect(bodies).toContain("ResourceNotFoundException");
    expect(bodies).toContain("Item size has exceeded the maximum allowed size");
  });
});
