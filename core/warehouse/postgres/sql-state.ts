/** PostgreSQL's error codes (SQLSTATE) the code reacts to. */

/** A table or view that does not exist (yet): raw tables and the manifest appear with the first load. */
export function isUndefinedTable(error: unknown): boolean {
  return (error as { code?: string }).code === "42P01";
}

/** A schema that does not exist (yet): dbt creates its schema on its first run. */
export function isUndefinedSchema(error: unknown): boolean {
  return (error as { code?: string }).code === "3F000";
}
