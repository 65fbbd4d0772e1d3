/**
 * land-records fails the invocation on infrastructure errors (so the event source mapping
 * retries the batch) and only then: here the raw bucket doesn't exist.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toMskEvent } from "../../core/msk-event/index.ts";
import { ObjectWriteError } from "../../lambdas/land-records/errors.ts";
import { validVote } from "../fixtures/records.ts";
import { createIngestEnv, type IngestEnv, listObjects, uniqueName } from "./ingest-helpers.ts";

describe("land-records and a broken S3", () => {
  let env: IngestEnv;

  beforeAll(async () => {
    env = await createIngestEnv();
  });

  afterAll(async () => env?.cleanup());

  it("throws ObjectWriteError when an object can't be written, after writing what it could", async () => {
    // Prepare: one valid and one invalid record; the raw bucket is missing, quarantine exists
    const event = toMskEvent([
      {
        topic: "elections.votes",
        partition: 0,
        messages: [
          {
            key: Buffer.from(validVote.voter_id),
            value: Buffer.from(JSON.stringify(validVote)),
            timestamp: "1762178700000",
            attributes: 0,
            offset: "0",
            headers: {},
          },
          {
            key: Buffer.from("k"),
            value: Buffer.from("{"),
            timestamp: "1762178700000",
            attributes: 0,
            offset: "1",
            headers: {},
          },
        ],
      },
    ]);
    process.env.RAW_BUCKET = uniqueName("missing");
    const { handler } = await import("../../lambdas/land-records/index.ts");
    // Act
    const result = handler(event);
    // Assess
    await expect(result).rejects.toBeInstanceOf(ObjectWriteError);
    await expect(result).rejects.toThrow(/could not write s3:\/\/missing-/);
    // The retry overwrites this same quarantine object, so nothing is duplicated.
    expect((await listObjects(env.quarantineBucket)).map((o) => o.key)).toEqual([
      "quarantine/elections/votes/dt=2025-11-03/hr=14/p=0/00000000000000000000-00000000000000000001.ndjson.gz",
    ]);
  });
});
