/**
 * Errors of the native services. The CLI prints `message` alone (one sentence, no stack
 * trace), so every message says what went wrong and what to do about it.
 */
import { PipelineError } from "../../core/errors.ts";
export class ServicesError extends PipelineError {}

/** A tool the services need (java, mvn, python3, PostgreSQL binaries) is not installed. */
export class MissingPrerequisiteError extends ServicesError {}

/** Installing a dependency (Maven jars, a Python venv) failed; the log file says why. */
export class InstallError extends ServicesError {}

/** A service did not start or did not become healthy in time. */
export class StartError extends ServicesError {}

/** A service's process would not go away. */
export class StopError extends ServicesError {}
