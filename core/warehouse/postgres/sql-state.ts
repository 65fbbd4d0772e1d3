/** PostgreSQL's error codes (SQLSTATE) the code reacts to. */

/** A table or view that does not exist (yet): raw tables and the manifest appear with the first load. */
export function isUndefinedTable(error: unknown): boolean {
  return (error as { code?: string }).code === "42P01";
}
