import type { Kafka, KafkaMessage } from "kafkajs";
import { describe, expect, it, vi } from "vitest";
import { LOCAL_EVENT_SOURCE } from "../../../core/msk-event/build.ts";
import { FunctionStoppedError } from "../functions/host.ts";
import type { FailureDestination } from "./destinations.ts";
import { KafkaMapping, type KafkaMappingSpec } from "./kafka.ts";

/**
 * A kafkajs consumer reduced to what the mapping uses: one batch handed to eachBatch, and a
 * disconnect that waits for it to return, as kafkajs's does.
 */
function fakeKafka() {
  const commits: unknown[] = [];
  const heartbeats: number[] = [];
  let running = true;
  let batchDone: Promise<void> = Promise.resolve();
  const messages: KafkaMessage[] = [0, 1, 2].map((offset) => ({
    key: null,
    value: Buffer.from(`vote ${offset}`),
    timestamp: "0",
    attributes: 0,
    offset: String(offset),
    headers: {},
  }));
  const consumer = {
    events: { CRASH: "consumer.crash" },
    on: () => undefined,
    connect: async () => undefined,
    subscribe: async () => undefined,
    commitOffsets: async (offsets: unknown) => {
      commits.push(offsets);
    },
    run: async ({ eachBatch }: { eachBatch: (payload: unknown) => Promise<void> }) => {
      batchDone = eachBatch({
        batch: { topic: "votes", partition: 0, messages },
        resolveOffset: () => undefined,
        heartbeat: async () => {
          heartbeats.push(Date.now());
        },
        isRunning: () => running,
        isStale: () => false,
      });
    },
    disconnect: async () => {
      running = false;
      await batchDone;
    },
  };
  return { kafka: { consumer: () => consumer } as unknown as Kafka, commits, heartbeats };
}

function destination() {
  const send = vi.fn(async () => undefined);
  const onFailure: FailureDestination = {
    arn: "arn:aws:sqs:us-east-1:000000000000:failed",
    send,
    sendInvocationRecord: send,
  };
  return { onFailure, send };
}

function spec(onFailure: FailureDestination): KafkaMappingSpec {
  return {
    id: "Mapping",
    functionName: "aggregate",
    topics: ["votes"],
    groupId: "aggregate",
    batchSize: 100,
    batchingWindowMs: 1000,
    startingPosition: "TRIM_HORIZON",
    maxRetryAttempts: 1,
    onFailure,
  };
}

describe("a Kafka mapping stopped with a batch under way", () => {
  it("does not commit, retry or hand to the destination the batch whose invocation the stop killed", async () => {
    // Prepare: an invocation that hangs until the runtime kills its sandbox
    const { kafka, commits } = fakeKafka();
    const { onFailure, send } = destination();
    let kill: (error: Error) => void = () => undefined;
    const invoke = vi.fn(() => new Promise((_, reject) => (kill = reject)));
    const mapping = new KafkaMapping(spec(onFailure), { kafka, invoke, source: LOCAL_EVENT_SOURCE });
    await mapping.start();
    await vi.waitFor(() => expect(invoke).toHaveBeenCalledTimes(1));

    // Act: stop, then the sandbox killed (what LocalRuntime.stop does after its grace period)
    const stopped = mapping.stop();
    kill(new FunctionStoppedError("aggregate: the runtime is stopping"));
    await stopped;

    // Assess: delivered again on the next start
    expect(invoke).toHaveBeenCalledTimes(1);
    expect(commits).toEqual([]);
    expect(send).not.toHaveBeenCalled();
    expect(mapping.stats.batches).toBe(0);
  });

  it("stops at once from a retry's backoff, the batch neither retried nor sent on", async () => {
    // Prepare: the first attempt fails; the retry would come after a minute
    const { kafka, commits } = fakeKafka();
    const { onFailure, send } = destination();
    const invoke = vi.fn(async () => {
      throw new Error("Task timed out after 60.00 seconds");
    });
    const mapping = new KafkaMapping(spec(onFailure), {
      kafka,
      invoke,
      source: LOCAL_EVENT_SOURCE,
      retryBaseMs: 60_000,
    });
    await mapping.start();
    await vi.waitFor(() => expect(mapping.stats.retries).toBe(1));

    // Act
    const started = Date.now();
    await mapping.stop();

    // Assess
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(invoke).toHaveBeenCalledTimes(1);
    expect(commits).toEqual([]);
    expect(send).not.toHaveBeenCalled();
  });
  it("heartbeats its group through a retry's backoff, not only before it (regression: evicted past the session timeout)", async () => {
    // Prepare: the first attempt fails, the retry comes 600 ms later; heartbeats every 50 ms
    const { kafka, heartbeats } = fakeKafka();
    const { onFailure } = destination();
    const failedAt: number[] = [];
    const invoke = vi.fn(async () => {
      if (failedAt.length === 0) {
        failedAt.push(Date.now());
        throw new Error("S3 unreachable");
      }
      return {};
    });
    const mapping = new KafkaMapping(spec(onFailure), {
      kafka,
      invoke,
      source: LOCAL_EVENT_SOURCE,
      retryBaseMs: 600,
      heartbeatMs: 50,
    });

    // Act
    await mapping.start();
    await vi.waitFor(() => expect(mapping.stats.batches).toBe(1));
    await mapping.stop();

    // Assess: heartbeats all along the backoff (the old code sent one, then slept silent)
    const duringBackoff = heartbeats.filter((t) => t > (failedAt[0] as number) + 100);
    expect(invoke).toHaveBeenCalledTimes(2);
    expect(duringBackoff.length).toBeGreaterThanOrEqual(5);
  });
});
