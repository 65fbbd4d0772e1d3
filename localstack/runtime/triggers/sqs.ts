/**
 * An SQS event source mapping: long-polls the queue, gathers up to `batchSize` messages for
 * up to the batching window, invokes with the SQS event shape, deletes what succeeded
 * (all of it, or all but the reported `batchItemFailures`). Failed messages become visible
 * again after the visibility timeout and are retried, as in AWS.
 */
import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { sqs } from "../../../core/aws/clients.ts";

export interface QueuePollerSpec {
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly batchSize: number;
  readonly batchingWindowMs: number;
  readonly reportBatchItemFailures: boolean;
  readonly region: string;
  /** How many batches are gathered and invoked at once (each poller one at a time); 1 if unset. */
  readonly pollers?: number;
}

export class QueuePoller {
  private running = false;
  private loops: Promise<void>[] = [];
  private readonly spec: QueuePollerSpec;
  private readonly invoke: (event: SQSEvent) => Promise<unknown>;
  private readonly log: (message: string) => void;
  private readonly client: SQSClient;
  batches = 0;

  /** @param client polls as the function's execution role, as Lambda's pollers do. */
  constructor(
    spec: QueuePollerSpec,
    invoke: (event: SQSEvent) => Promise<unknown>,
    log: (message: string) => void,
    client: SQSClient = sqs(),
  ) {
    this.spec = spec;
    this.invoke = invoke;
    this.log = log;
    this.client = client;
  }

  start(): void {
    this.running = true;
    this.loops = Array.from({ length: Math.max(1, this.spec.pollers ?? 1) }, () => this.run());
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        const messages = await this.gather();
        if (messages.length > 0) await this.process(messages);
      } catch (error) {
        this.log(`queue ${this.spec.queueArn}: ${(error as Error).message}`);
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  private async gather(): Promise<Message[]> {
    const { batchSize, batchingWindowMs, queueUrl } = this.spec;
    const deadline = Date.now() + batchingWindowMs;
    const messages: Message[] = [];
    do {
      const wait = Math.min(2, Math.max(0, Math.ceil((deadline - Date.now()) / 1000)));
      const page = await this.client.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: Math.min(10, batchSize - messages.length),
          WaitTimeSeconds: messages.length === 0 ? Math.max(wait, 1) : wait,
          MessageSystemAttributeNames: ["All"],
        }),
      );
      messages.push(...(page.Messages ?? []));
      if (!this.running) break;
    } while (messages.length < batchSize && Date.now() < deadline);
    return messages;
  }

  private async process(messages: Message[]): Promise<void> {
    const event: SQSEvent = {
      Records: messages.map((m) => ({
        messageId: m.MessageId ?? "",
        receiptHandle: m.ReceiptHandle ?? "",
        body: m.Body ?? "",
        attributes: (m.Attributes ?? {}) as SQSEvent["Records"][number]["attributes"],
        messageAttributes: {},
        md5OfBody: m.MD5OfBody ?? "",
        eventSource: "aws:sqs",
        eventSourceARN: this.spec.queueArn,
        awsRegion: this.spec.region,
      })),
    };
    let failedIds = new Set<string>();
    try {
      const response = (await this.invoke(event)) as SQSBatchResponse | null;
      if (this.spec.reportBatchItemFailures && response?.batchItemFailures) {
        failedIds = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
      }
    } catch (error) {
      this.log(
        `queue ${this.spec.queueArn}: batch failed, messages will be retried: ${(error as Error).message}`,
      );
      return;
    }
    const done = messages.filter((m) => !failedIds.has(m.MessageId ?? ""));
    for (let i = 0; i < done.length; i += 10) {
      await this.client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.spec.queueUrl,
          Entries: done
            .slice(i, i + 10)
            .map((m, n) => ({ Id: String(n), ReceiptHandle: m.ReceiptHandle ?? "" })),
        }),
      );
    }
    this.batches += 1;
  }
}
