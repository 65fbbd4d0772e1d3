/** Errors of the dashboard-api function (the API's own errors live in dashboard/api/errors.ts). */
export class DashboardFunctionError extends Error {
  override name = "DashboardFunctionError";
}

/** The invocation is not a Function URL event (someone invoked the function directly). */
export class InvalidEventError extends DashboardFunctionError {
  override name = "InvalidEventError";
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
  }
}
