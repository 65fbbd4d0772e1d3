/**
 * The run summary: what one "pipeline run" execution did, assembled from the state
 * machine's accumulated state and written next to dbt's artifacts, where the CLI and the
 * dashboard read it (`dbt/<runId>/summary.json`).
 */
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { z } from "zod";

/** The state the machine carries to this step (see infra/constructs/orchestration.ts). */
export const RunStateSchema = z.object({
  runId: z.string().min(1),
  dbtArgs: z.array(z.string()).optional(),
  load: z.unknown().optional(),
  dbt: z.object({ exitCode: z.number().nullish(), taskArn: z.string().optional() }).partial().optional(),
  quality: z
    .object({ counts: z.record(z.string(), z.number()).optional() })
    .loose()
    .optional(),
  backfill: z.object({ from: z.string(), to: z.string() }).optional(),
  days: z
    .array(
      z
        .object({
          day: z.string().optional(),
          runId: z.string().optional(),
          quality: z
            .object({ counts: z.record(z.string(), z.number()).optional() })
            .loose()
            .optional(),
        })
        .loose(),
    )
    .optional(),
});

export type RunState = z.infer<typeof RunStateSchema>;

export interface RunSummary {
  readonly runId: string;
  readonly executionId: string;
  readonly finishedAt: string;
  readonly dbtArgs: readonly string[];
  readonly load: unknown;
  /** dbt node counts per status, summed over the days of a backfill. */
  readonly dbtNodes: Readonly<Record<string, number>>;
  readonly days: readonly string[];
}

export function buildSummary(executionId: string, run: RunState, now: Date): RunSummary {
  const countsList = run.days ? run.days.map((d) => d.quality?.counts ?? {}) : [run.quality?.counts ?? {}];
  const dbtNodes: Record<string, number> = {};
  for (const counts of countsList) {
    for (const [status, n] of Object.entries(counts)) dbtNodes[status] = (dbtNodes[status] ?? 0) + n;
  }
  return {
    runId: run.runId,
    executionId,
    finishedAt: now.toISOString(),
    dbtArgs: run.dbtArgs ?? [],
    load: run.load ?? null,
    dbtNodes,
    days: (run.days ?? []).flatMap((d) => (d.day ? [d.day] : [])),
  };
}

export function summaryKey(runId: string): string {
  return `dbt/${runId}/summary.json`;
}

export async function writeSummary(s3: S3Client, bucket: string, summary: RunSummary): Promise<string> {
  const key = summaryKey(summary.runId);
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: JSON.stringify(summary, null, 2),
      ContentType: "application/json",
    }),
  );
  return key;
}
