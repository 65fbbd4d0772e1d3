/** The read-only API, as the page calls it (same origin: /api/… offline and behind CloudFront). */
import { PipelineError } from "../../core/errors.ts";
export class ApiError extends PipelineError {}

export async function api<T>(path: string): Promise<T> {
  const response = await fetch(`api/${path}`, { cache: "no-store" });
  const body = (await response.json().catch(() => ({}))) as { error?: string };
  if (!response.ok) throw new ApiError(body.error ?? `${path}: HTTP ${response.status}`);
  return body as T;
}
