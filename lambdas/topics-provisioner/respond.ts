/** Answers CloudFormation on the pre-signed response URL of a custom resource event. */
import { ResponseRejected } from "./errors.ts";
import type { CustomResourceEvent } from "./provision.ts";

export interface Outcome {
  readonly status: "SUCCESS" | "FAILED";
  readonly reason?: string;
  readonly data?: Record<string, string>;
}

/** The physical id stays the same across updates, so CloudFormation never replaces it. */
export const PHYSICAL_ID = "kafka-topics";

export function responseBody(event: CustomResourceEvent, outcome: Outcome) {
  return {
    Status: outcome.status,
    // CloudFormation shows at most 4 KB of the reason.
    Reason: (outcome.reason ?? "see the function's log").slice(0, 3_000),
    PhysicalResourceId: event.PhysicalResourceId ?? PHYSICAL_ID,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
    Data: outcome.data ?? {},
  };
}

export async function respond(event: CustomResourceEvent, outcome: Outcome): Promise<void> {
  const body = JSON.stringify(responseBody(event, outcome));
  // The pre-signed URL is signed without a content type: send none.
  const answer = await fetch(event.ResponseURL, { method: "PUT", body, headers: { "content-type": "" } });
  if (!answer.ok) throw new ResponseRejected(`CloudFormation response URL answered ${answer.status}`);
}
