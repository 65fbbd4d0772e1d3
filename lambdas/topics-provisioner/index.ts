/**
 * topics-provisioner (CloudFormation custom resource `Custom::KafkaTopics`): creates the
 * Kafka topics at deploy time and always answers CloudFormation, so a failure fails the
 * deployment with its reason instead of hanging it for an hour.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { loadConfig } from "../../core/config/index.ts";
import { parseEvent, provision } from "./provision.ts";
import { respond } from "./respond.ts";

const logger = new Logger({ serviceName: "topics-provisioner" });

export async function handler(event: unknown): Promise<void> {
  const request = parseEvent(event);
  try {
    const created = await provision(request, loadConfig().kafka);
    logger.info("topics provisioned", { requestType: request.RequestType, created });
    await respond(request, { status: "SUCCESS", data: { Created: created.join(",") } });
  } catch (error) {
    logger.error("topics provisioning failed", { error });
    await respond(request, { status: "FAILED", reason: describe(error) });
  }
}

/** The message, with the per-topic errors kafkajs aggregates (e.g. an invalid topic name). */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const inner = (error as Error & { errors?: unknown[] }).errors ?? [];
  const details = inner.map((e) => (e instanceof Error ? e.message : String(e)));
  return [error.message, ...details].join(": ");
}
