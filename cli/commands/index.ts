/** Every CLI command module, in one list: add a command by adding a line. */
import type { Command } from "commander";
import { register as bench } from "./bench.ts";
import { register as dashboard } from "./dashboard.ts";
import { register as dbt } from "./dbt.ts";
import { register as demo } from "./demo.ts";
import { register as local } from "./local.ts";
import { register as produce } from "./produce.ts";
import { register as reconcile } from "./reconcile.ts";
import { register as runs } from "./runs.ts";
import { register as services } from "./services.ts";
import { register as topics } from "./topics.ts";
import { register as upload } from "./upload.ts";

type Register = (program: Command) => void;

const commands: Register[] = [
  bench,
  dashboard,
  demo,
  local,
  runs,
  produce,
  topics,
  upload,
  services,
  dbt,
  reconcile,
];

export function registerCommands(program: Command): void {
  for (const register of commands) register(program);
}
