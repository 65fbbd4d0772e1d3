/** Every CLI command module, in one list: add a command by adding a line. */
import type { Command } from "commander";

type Register = (program: Command) => void;

const commands: Register[] = [];

export function registerCommands(program: Command): void {
  for (const register of commands) register(program);
}
