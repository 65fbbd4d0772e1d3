/**
 * plan-backfill (Step Functions "Plan backfill days"): input `{ backfill: { from, to },
 * dbtArgs }`; returns the days the Map state fans out over, each with its dbt arguments.
 */
import { z } from "zod";
import { type BackfillDay, backfillDays } from "./days.ts";

const InputSchema = z.object({
  backfill: z.object({ from: z.string(), to: z.string() }),
  dbtArgs: z.array(z.string()).default(["build"]),
});

export async function handler(event: unknown): Promise<BackfillDay[]> {
  const input = InputSchema.parse(event);
  return backfillDays(input.backfill.from, input.backfill.to, input.dbtArgs);
}
