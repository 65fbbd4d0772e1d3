/** Errors of running dbt from Node: a base class, then one subclass per expected failure. */
import { PipelineError } from "../errors.ts";
export class DbtError extends PipelineError {}

/** The native dbt environment (a Python venv) is not there. */
export class DbtNotInstalledError extends DbtError {}

/** The dbt process could not be started at all (not: dbt ran and failed). */
export class DbtSpawnError extends DbtError {}
