/**
 * Crash between the store write and the offset commit, as the local runtime runs it: the
 * synthesized local target with the real aggregate handler behind a wrapper that throws
 * AFTER the handler finished (totals written and published) on the first delivery of every
 * batch. The runtime does what Lambda does — no commit, retry, redeliver — and the totals
 * still equal the produced votes. Own services (separate-services.ts).
 */
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resetAwsClients } from "../../core/aws/clients.ts";
import { loadConfig } from "../../core/config/index.ts";
import { elections } from "../../core/datasets/elections/index.ts";
import { connectProducer, createKafka, type Producer } from "../../core/kafka/client.ts";
import { produceRecords } from "../../core/producer/produce.ts";
import type { LiveResults } from "../../core/realtime/index.ts";
import { RUNTIME_STATE_DIR, useLocalServicesEnv } from "../../localstack/runtime/open.ts";
import { LocalRuntime } from "../../localstack/runtime/runtime.ts";
import { synthLocal } from "../../localstack/runtime/synth.ts";
import { servicesSettings } from "../../localstack/services/index.ts";
import {
  asCounts,
  candidateRecords,
  makeVote,
  trueCounts,
  voterRecords,
  waitForLive,
} from "./aggregate-helpers.ts";
import { type SeparateServices, useSeparateServices } from "./separate-services.ts";

const T0 = Date.parse("2026-11-03T12:00:00Z");
const votes = Array.from({ length: 400 }, (_, i) =>
  makeVote(["a", "b", "c", "d"][i % 4] as string, ["Ohio", "Iowa", "Utah"][i % 3] as string, T0 + i * 1_000),
);

describe("aggregate: crash after the store write, before the offset commit", () => {
  let services: SeparateServices;
  let runtime: LocalRuntime | undefined;
  let producer: Producer | undefined;
  let handlerRoot = "";
  let live: LiveResults;

  beforeAll(async () => {
    // Prepare: own services, the local target, the crashing wrapper in place of the handler module.
    services = await useSeparateServices();
    resetAwsClients();
    useLocalServicesEnv();
    const repoRoot = servicesSettings().repoRoot;
    const assemblyDir = await synthLocal({
      repoRoot,
      outDir: join(RUNTIME_STATE_DIR(repoRoot), "cdk.out"),
      context: {
        localKafkaBrokers: process.env.KAFKA_BROKERS ?? "",
        localAwsEndpoint: process.env.AWS_ENDPOINT_URL ?? "",
        localDatabaseUrl: services.databaseUrl,
      },
    });
    handlerRoot = crashingHandlerRoot(repoRoot);
    runtime = new LocalRuntime({
      assemblyDir,
      repoRoot: handlerRoot,
      stateDir: RUNTIME_STATE_DIR(repoRoot),
      log: () => undefined,
    });
    await runtime.deploy();
    await runtime.start();

    // Act: produce in a few rounds, so the stream is cut into several batches.
    producer = await connectProducer(createKafka(loadConfig().kafka, "-it-producer"));
    await produceRecords(
      producer,
      elections,
      [...candidateRecords(["a", "b", "c", "d"]), ...voterRecords(votes)],
      {
        source: "generator",
      },
    );
    for (let round = 0; round < 4; round++) {
      const slice = votes.slice(round * 100, (round + 1) * 100);
      await produceRecords(
        producer,
        elections,
        slice.map((value) => ({ entity: "votes", value })),
        { source: "generator" },
      );
      await new Promise((r) => setTimeout(r, 1_500));
    }
    live = await waitForLive(
      (l) => l.totalVotes >= votes.length && deliveries().redelivered >= deliveries().crashed,
    );
  }, 600_000);

  afterAll(async () => {
    await producer?.disconnect();
    await runtime?.stop();
    await services?.release();
    if (handlerRoot) rmSync(handlerRoot, { recursive: true, force: true });
  });

  /** What the wrapper recorded: batches it crashed after, and what their redeliveries applied. */
  function deliveries() {
    const lines = readLines(join(handlerRoot, "deliveries.log"));
    const crashed = lines.filter((l) => l.startsWith("crashed ")).length;
    const redeliveries = lines.filter((l) => l.startsWith("redelivered "));
    return {
      crashed,
      redelivered: redeliveries.length,
      appliedOnRedelivery: redeliveries.reduce((n, l) => n + Number(l.split(" applied=")[1]), 0),
    };
  }

  it("crashed after every batch's first write, and the runtime redelivered each one", () => {
    const { crashed, redelivered } = deliveries();
    console.info(
      `aggregate crash test: ${crashed} batches crashed after their write, ${redelivered} redelivered`,
    );
    expect(crashed).toBeGreaterThan(0);
    expect(redelivered).toBe(crashed);
  });

  it("applied nothing twice: redeliveries added no vote, the totals equal the produced votes", () => {
    expect(deliveries().appliedOnRedelivery).toBe(0);
    expect(live.totalVotes).toBe(votes.length);
    expect(asCounts(live.candidates, (c) => c.candidateId)).toEqual(trueCounts(votes).candidates);
    expect(asCounts(live.locations, (l) => l.state)).toEqual(trueCounts(votes).locations);
  });
});

/**
 * A handler root for the runtime: every function's folder linked to the real one, and
 * `aggregate` replaced by a wrapper around the real handler that throws after the first
 * delivery of each batch (the write and the publish done, the commit not yet).
 */
function crashingHandlerRoot(repoRoot: string): string {
  const root = mkdtempSync(join(tmpdir(), "aggregate-crash-handlers-"));
  writeFileSync(join(root, "package.json"), JSON.stringify({ type: "module" }));
  mkdirSync(join(root, "lambdas"));
  for (const name of readdirSync(join(repoRoot, "lambdas"))) {
    if (name !== "aggregate") symlinkSync(join(repoRoot, "lambdas", name), join(root, "lambdas", name));
  }
  mkdirSync(join(root, "lambdas", "aggregate"));
  const log = join(root, "deliveries.log");
  writeFileSync(log, "");
  writeFileSync(
    join(root, "lambdas", "aggregate", "index.ts"),
    `import { appendFileSync, readFileSync } from "node:fs";
import { handler as real } from ${JSON.stringify(join(repoRoot, "lambdas", "aggregate", "index.ts"))};

export async function handler(event: { records: Record<string, { offset: number }[]> }) {
  const batch = Object.entries(event.records)
    .map(([tp, records]) => \`\${tp}:\${records[0]?.offset}-\${records.at(-1)?.offset}\`)
    .join(",");
  const result = await real(event);
  if (!readFileSync(${JSON.stringify(log)}, "utf8").includes(\`crashed \${batch}\\n\`)) {
    appendFileSync(${JSON.stringify(log)}, \`crashed \${batch}\\n\`);
    throw new Error("crashed after the store write, before the offsets were committed");
  }
  appendFileSync(${JSON.stringify(log)}, \`redelivered \${batch} applied=\${result.applied}\\n\`);
  return result;
}
`,
  );
  return root;
}

function readLines(file: string): string[] {
  try {
    return readFileSync(file, "utf8").split("\n").filter(Boolean);
  } catch {
    return [];
  }
}
