/** Errors of the dashboard-api function (the API's own errors live in dashboard/api/errors.ts). */
import { PipelineError } from "../../core/errors.ts";
export class DashboardFunctionError extends PipelineError {}

/** The invocation is not a Function URL event (someone invoked the function directly). */
export class InvalidEventError extends DashboardFunctionError {
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
  }
}
