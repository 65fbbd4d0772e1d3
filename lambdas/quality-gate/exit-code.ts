/**
 * The dbt container's exit code from the dbt state's output: `ecs:runTask.sync` returns the
 * stopped task (`{ Containers: [{ Name, ExitCode }], … }`); a RunTask-shaped answer
 * (`{ Tasks: [task], Failures }`, what an offline runner may return) is read the same way.
 */
import { z } from "zod";

const Container = z.object({ Name: z.string().optional(), ExitCode: z.number().int().nullish() }).loose();
const Task = z.object({ Containers: z.array(Container) }).loose();
const RunTaskOutput = z.object({ Tasks: z.array(Task).min(1) }).loose();

/** The exit code of the `dbt` container (or the only one); null when the output has none. */
export function dbtExitCode(output: unknown, containerName = "dbt"): number | null {
  const task = Task.safeParse(output);
  const listed = RunTaskOutput.safeParse(output);
  const containers = task.success
    ? task.data.Containers
    : listed.success
      ? (listed.data.Tasks[0]?.Containers ?? [])
      : [];
  const container =
    containers.find((c) => c.Name === containerName) ?? (containers.length === 1 ? containers[0] : undefined);
  return container?.ExitCode ?? null;
}
