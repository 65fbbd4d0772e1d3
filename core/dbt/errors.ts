/** Errors of running dbt from Node: a base class, then one subclass per expected failure. */
export class DbtError extends Error {
  override name = "DbtError";
}

/** The native dbt environment (a Python venv) is not there. */
export class DbtNotInstalledError extends DbtError {
  override name = "DbtNotInstalledError";
}

/** The dbt process could not be started at all (not: dbt ran and failed). */
export class DbtSpawnError extends DbtError {
  override name = "DbtSpawnError";
}
