/** What the API can answer besides 200: each error knows its HTTP status. */
import { PipelineError } from "../../core/errors.ts";
export class DashboardApiError extends PipelineError {
  readonly status: number = 500;
}

export class NotFoundError extends DashboardApiError {
  override readonly status = 404;
}

export class MethodNotAllowedError extends DashboardApiError {
  override readonly status = 405;
}

export class BadRequestError extends DashboardApiError {
  override readonly status = 400;
}

/** A store the API reads from (warehouse, serving table, run history) failed. */
export class SourceUnavailableError extends DashboardApiError {
  override readonly status = 503;
  constructor(source: string, cause: unknown) {
    super(`${source} is unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}
