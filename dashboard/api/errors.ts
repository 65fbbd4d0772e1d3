/** What the API can answer besides 200: each error knows its HTTP status. */
export class DashboardApiError extends Error {
  override name = "DashboardApiError";
  readonly status: number = 500;
}

export class NotFoundError extends DashboardApiError {
  override name = "NotFoundError";
  override readonly status = 404;
}

export class MethodNotAllowedError extends DashboardApiError {
  override name = "MethodNotAllowedError";
  override readonly status = 405;
}

export class BadRequestError extends DashboardApiError {
  override name = "BadRequestError";
  override readonly status = 400;
}

/** A store the API reads from (warehouse, serving table, run history) failed. */
export class SourceUnavailableError extends DashboardApiError {
  override name = "SourceUnavailableError";
  override readonly status = 503;
  constructor(source: string, cause: unknown) {
    super(`${source} is unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}
