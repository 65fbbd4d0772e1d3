/** The API's own request and response: what the Lambda handler and tests translate to and from. */
export interface ApiRequest {
  readonly method: string;
  /** Path with the `/api` prefix, e.g. `/api/runs/abc`. */
  readonly path: string;
  readonly query: Readonly<Record<string, string | undefined>>;
}

export interface ApiResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** What the dashboard-api function answers a Function URL request with (payload format 2.0). */
export interface FunctionUrlResult {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly isBase64Encoded?: boolean;
}
