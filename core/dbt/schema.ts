/**
 * The schema dbt builds into: DBT_SCHEMA, else profiles.yml's default `analytics`. Whatever
 * reads dbt's models (the dashboard, reconcile's staging views, the demo) reads there.
 */
export function dbtSchema(env: Record<string, string | undefined> = process.env): string {
  return env.DBT_SCHEMA ?? "analytics";
}
