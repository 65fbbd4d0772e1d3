/**
 * SQL identifiers (schemas, tables) come from dataset declarations and settings, never from
 * records; still, each is checked against a strict pattern before it is spliced into SQL.
 */
import { PipelineError } from "../errors.ts";

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

export function assertIdentifier(name: string): string {
  if (!IDENTIFIER.test(name)) throw new InvalidIdentifierError(`invalid SQL identifier "${name}"`);
  return name;
}

/** `"schema"."table"` for PostgreSQL, after validation (lowercase, so quoting changes nothing). */
export function pgQualified(schema: string, table: string): string {
  return `"${assertIdentifier(schema)}"."${assertIdentifier(table)}"`;
}

/** `SCHEMA.TABLE` for Snowflake: validated lowercase names, upper-cased like unquoted identifiers. */
export function sfQualified(schema: string, table: string): string {
  return `${assertIdentifier(schema).toUpperCase()}.${assertIdentifier(table).toUpperCase()}`;
}

export class InvalidIdentifierError extends PipelineError {}
