/**
 * Custom resources, run the way CloudFormation runs them at deploy time: the backing function
 * gets a Create event whose ResponseURL points at a one-shot HTTP endpoint here (CloudFormation
 * uses a pre-signed S3 URL), and the resource is created when the function PUTs SUCCESS there.
 */
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { PipelineError } from "../../core/errors.ts";

export interface CustomResourceCall {
  readonly logicalId: string;
  readonly type: string;
  readonly functionName: string;
  readonly serviceToken: string;
  readonly properties: Record<string, unknown>;
}

export interface CustomResourceResponse {
  readonly Status: "SUCCESS" | "FAILED";
  readonly Reason?: string;
  readonly PhysicalResourceId?: string;
  readonly Data?: Record<string, unknown>;
}

export class CustomResourceFailed extends PipelineError {}

/** Invokes the function with a Create event and resolves with the response it PUT back. */
export async function createCustomResource(
  call: CustomResourceCall,
  stackId: string,
  invoke: (functionName: string, event: unknown) => Promise<unknown>,
  timeoutMs = 300_000,
): Promise<CustomResourceResponse> {
  let received: (response: CustomResourceResponse) => void = () => undefined;
  const response = new Promise<CustomResourceResponse>((resolve) => {
    received = resolve;
  });
  const server = createServer((request, reply) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      reply.writeHead(200).end();
      try {
        received(JSON.parse(Buffer.concat(chunks).toString("utf8")) as CustomResourceResponse);
      } catch {
        received({ Status: "FAILED", Reason: "the response body was not JSON" });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const requestId = randomUUID();
  try {
    const invocation = invoke(call.functionName, {
      RequestType: "Create",
      ServiceToken: call.serviceToken,
      ResponseURL: `http://127.0.0.1:${port}/${requestId}`,
      StackId: stackId,
      RequestId: requestId,
      LogicalResourceId: call.logicalId,
      ResourceType: call.type,
      ResourceProperties: { ServiceToken: call.serviceToken, ...call.properties },
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new CustomResourceFailed(`${call.logicalId}: no response within ${timeoutMs / 1000} s`)),
        timeoutMs,
      );
    });
    // A function that throws without answering fails the resource, as CloudFormation would after its timeout.
    const answer = await Promise.race([response, invocation.then(() => response), timeout]).finally(() =>
      clearTimeout(timer),
    );
    if (answer.Status !== "SUCCESS") {
      throw new CustomResourceFailed(
        `${call.logicalId} (${call.type}) failed: ${answer.Reason ?? "no reason given"}`,
      );
    }
    return answer;
  } finally {
    server.close();
  }
}
