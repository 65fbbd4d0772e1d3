/**
 * The Fargate entrypoint (dbt/docker/entrypoint.sh), run natively by `runDbtTask` with the real
 * dbt of the native venv and the AWS emulator: dbt's artifacts land under s3://<bucket>/dbt/<execution-id>/ and the
 * script exits with dbt's code. (Docker itself cannot run here; the image installs the same
 * requirements file as this venv, see test/unit/dbt-image.test.ts.)
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { s3 } from "../../core/aws/clients.ts";
import { runDbtTask } from "../../core/dbt/task.ts";

const id = randomBytes(4).toString("hex");
const bucket = `dbt-artifacts-${id}`;
const work = mkdtempSync(join(tmpdir(), "dbt-entrypoint-it-"));

async function entrypoint(args: string[], ids: { ARTIFACTS_BUCKET: string; EXECUTION_ID: string }) {
  const result = await runDbtTask({
    args,
    artifactsBucket: ids.ARTIFACTS_BUCKET,
    executionId: ids.EXECUTION_ID,
    env: {
      ...process.env,
      DBT_TARGET_PATH: join(work, "target"),
      DBT_LOG_PATH: join(work, "logs"),
      DBT_SCHEMA: `dbt_ep_${id}`,
    },
  });
  return result.exitCode;
}

beforeAll(async () => {
  await s3().send(new CreateBucketCommand({ Bucket: bucket }));
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("dbt/docker/entrypoint.sh with the real dbt", () => {
  test("uploads run_results.json and manifest.json under dbt/<execution-id>/ and exits 0", async () => {
    // Act
    const code = await entrypoint(["compile", "--target", "local", "--select", "stg_stocks__prices"], {
      ARTIFACTS_BUCKET: bucket,
      EXECUTION_ID: `exec-${id}`,
    });

    // Assess
    expect(code).toBe(0);
    const listed = await s3().send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `dbt/exec-${id}/` }));
    expect((listed.Contents ?? []).map((o) => o.Key).sort()).toEqual([
      `dbt/exec-${id}/manifest.json`,
      `dbt/exec-${id}/run_results.json`,
    ]);
    const runResults = await s3().send(
      new GetObjectCommand({ Bucket: bucket, Key: `dbt/exec-${id}/run_results.json` }),
    );
    const parsed = JSON.parse(await (runResults.Body?.transformToString() ?? Promise.resolve("{}")));
    const statuses = parsed.results.map((r: { unique_id: string; status: string }) => [
      r.unique_id,
      r.status,
    ]);
    expect(statuses).toContainEqual(["model.pipeline.stg_stocks__prices", "success"]);
    expect(statuses.filter(([, status]: string[]) => status !== "success")).toEqual([]);
  });

  test("exits with dbt's own failure code (2: bad target) and uploads no stale artifacts of the run before", async () => {
    // Act: the previous test left artifacts in the same target path.
    const code = await entrypoint(["compile", "--target", "no_such_target"], {
      ARTIFACTS_BUCKET: bucket,
      EXECUTION_ID: `failed-${id}`,
    });

    // Assess
    expect(code).toBe(2);
    const listed = await s3().send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `dbt/failed-${id}/` }));
    expect(listed.Contents ?? []).toEqual([]);
  });
});
