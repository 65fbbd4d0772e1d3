/** Why a pipeline run did not pass its quality gate; the state machine catches these. */
import { PipelineError } from "../../core/errors.ts";
export class QualityGateError extends PipelineError {}

/** dbt finished with failed tests or errored models (the message lists them). */
export class QualityGateFailed extends QualityGateError {}

/** dbt exited non-zero without leaving run_results.json (it never got to run). */
export class DbtRunFailed extends QualityGateError {}

/** The run_results.json found is not dbt's format. */
export class InvalidRunResults extends QualityGateError {}
