/**
 * The lifecycle of `pipeline services` on a second, separate set of services (other ports,
 * another state dir), through the real CLI, so the shared services are never disturbed.
 */
import { execFile } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import {
  CreateQueueCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKafka, ensureTopics } from "../../core/kafka/client.ts";
import { postgresClusterDir, serviceContext, servicesSettings } from "../../localstack/services/index.ts";

const run = promisify(execFile);
const CLI = join(import.meta.dirname, "../../bin/pipeline.mjs");

interface Status {
  name: string;
  kind: "service" | "tool";
  state: string;
  pid?: number;
  endpoint: string;
  logFile?: string;
}

describe("pipeline services up | status | down", () => {
  const stateDir = mkdtempSync(join(tmpdir(), "pipeline-services-"));
  // mkdtemp makes it 0700; PostgreSQL runs as its own user when we are root and must get in.
  chmodSync(stateDir, 0o755);
  let env: NodeJS.ProcessEnv = {};
  let ports: Record<string, number> = {};

  const cli = async (...args: string[]) =>
    (await run(process.execPath, [CLI, "services", ...args], { env })).stdout;
  const services = async () =>
    (JSON.parse(await cli("status", "--json")) as Status[]).filter((s) => s.kind === "service");

  beforeAll(async () => {
    const [kafka, controller, kafkaIam, postgres, aws, snowflake] = await freePorts(6);
    ports = { kafka, controller, kafkaIam, postgres, aws, snowflake } as Record<string, number>;
    // Every port of the set: one left to inherit would be the tests' own set's (KAFKA_IAM_PORT is).
    env = {
      ...process.env,
      PIPELINE_SERVICES_DIR: stateDir,
      KAFKA_PORT: String(kafka),
      KAFKA_CONTROLLER_PORT: String(controller),
      KAFKA_IAM_PORT: String(kafkaIam),
      PGPORT: String(postgres),
      AWS_EMULATOR_PORT: String(aws),
      SNOWFLAKE_EMULATOR_PORT: String(snowflake),
    };
  });

  afterAll(async () => {
    await cli("down").catch(() => {});
    rmSync(stateDir, { recursive: true, force: true });
  });

  it("starts every service once even when two `up`s race", async () => {
    // Act
    await Promise.all([cli("up"), cli("up")]);

    // Assess: one broker and one postmaster for this state dir.
    expect(commandLinesContaining(join(stateDir, "kafka", "server.properties"))).toHaveLength(1);
    expect(commandLinesContaining(`-D ${join(stateDir, "postgres", "data")} `)).toHaveLength(1);
  });

  it("starts every service on the chosen ports, and a second `up` leaves them alone", async () => {
    // Act
    await cli("up");
    const first = await services();
    const secondUp = await cli("up");
    const second = await services();

    // Assess
    expect(first.map((s) => [s.name, s.state])).toEqual([
      ["kafka", "running"],
      ["postgres", "running"],
      ["aws-emulator", "running"],
      ["snowflake", "running"],
    ]);
    expect(second.map((s) => s.pid)).toEqual(first.map((s) => s.pid));
    expect(secondUp).toMatch(/kafka\s+already running/);
    expect(secondUp).toMatch(/postgres\s+already running/);
    expect(secondUp).toMatch(/aws-emulator\s+already running/);
  });

  it("reports where each service runs and logs", async () => {
    // Act
    const statuses = await services();
    const table = await cli("status");

    // Assess
    const byName = Object.fromEntries(statuses.map((s) => [s.name, s]));
    expect(byName.kafka?.endpoint).toBe(`127.0.0.1:${ports.kafka}`);
    expect(byName.postgres?.endpoint).toContain(`@127.0.0.1:${ports.postgres}/warehouse`);
    expect(byName["aws-emulator"]?.endpoint).toBe(`http://127.0.0.1:${ports.aws}`);
    for (const s of statuses) {
      expect(s.logFile?.startsWith(stateDir)).toBe(true);
      expect(existsSync(s.logFile as string)).toBe(true);
      expect(alive(s.pid as number)).toBe(true);
      expect(table).toContain(s.logFile);
    }
  });

  it("notices a service that died and starts it again on the next `up`", async () => {
    // Prepare
    const before = (await services()).find((s) => s.name === "aws-emulator") as Status;
    process.kill(before.pid as number, "SIGKILL");
    await waitFor(() => !alive(before.pid as number));

    // Act
    const whileDead = (await services()).find((s) => s.name === "aws-emulator");
    await cli("up");
    const after = (await services()).find((s) => s.name === "aws-emulator");

    // Assess
    expect(whileDead).toMatchObject({ state: "stopped" });
    expect(after?.state).toBe("running");
    expect(after?.pid).not.toBe(before.pid);
  });

  it("refuses a port that a stranger holds, in one sentence", async () => {
    // Prepare
    const stranger = createServer();
    await new Promise<void>((resolve) => stranger.listen(0, "127.0.0.1", resolve));
    const port = (stranger.address() as import("node:net").AddressInfo).port;
    const otherDir = mkdtempSync(join(tmpdir(), "pipeline-services-stranger-"));

    try {
      // Act
      const failure = await run(process.execPath, [CLI, "services", "up", "aws-emulator"], {
        env: { ...env, PIPELINE_SERVICES_DIR: otherDir, AWS_EMULATOR_PORT: String(port) },
      }).then(
        () => undefined,
        (error: { code: number; stderr: string }) => error,
      );

      // Assess
      expect(failure?.code).toBe(1);
      expect(failure?.stderr).toContain(
        `port ${port} for aws-emulator is already in use by pid ${process.pid} `,
      );
      expect(failure?.stderr).toContain("AWS_EMULATOR_PORT");
      expect(failure?.stderr).not.toMatch(/\n\s+at /);
    } finally {
      await new Promise((resolve) => stranger.close(resolve));
      rmSync(otherDir, { recursive: true, force: true });
    }
  });

  it("`down` leaves no process behind and `status` then says stopped", async () => {
    // Prepare
    const pids = (await services()).map((s) => s.pid as number);
    const trees = pids.flatMap(processTree);
    expect(trees.length).toBeGreaterThan(pids.length); // PostgreSQL has backends, at least

    // Act
    await cli("down");
    const after = await services();

    // Assess
    expect(trees.filter(alive)).toEqual([]);
    expect(after.map((s) => [s.name, s.state, s.pid])).toEqual([
      ["kafka", "stopped", undefined],
      ["postgres", "stopped", undefined],
      ["aws-emulator", "stopped", undefined],
      ["snowflake", "stopped", undefined],
    ]);
  });

  it("keeps Kafka topics and PostgreSQL tables across `down` and `up`", async () => {
    // Prepare
    await cli("up", "kafka", "postgres");
    const kafka = createKafka({ brokers: [`127.0.0.1:${ports.kafka}`], auth: "none", clientId: "lifecycle" });
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [{ topic: "kept-across-restarts", partitions: 1 }]);
    await admin.disconnect();
    const url = `postgres://pipeline:pipeline@127.0.0.1:${ports.postgres}/warehouse`;
    await withPg(url, (c) => c.query("create table kept (id int); insert into kept values (42)"));

    // Act
    await cli("down");
    await cli("up", "kafka", "postgres");

    // Assess
    await admin.connect();
    expect(await admin.listTopics()).toContain("kept-across-restarts");
    await admin.disconnect();
    const { rows } = await withPg(url, (c) => c.query("select id from kept"));
    expect(rows).toEqual([{ id: 42 }]);
  });

  it("keeps the emulator's buckets, objects, tables, items and queued messages across `down` and `up`", async () => {
    // Prepare: state of every kind the pipeline keeps in the emulator, an object overwritten.
    await cli("up", "aws-emulator");
    const aws = awsClients(ports.aws as number);
    const body = gzipSync(Buffer.from('{"vote":1}\n'));
    const key = "raw/elections/votes/dt=2026-11-30/hr=22/p=0/000000000000-000000000041.ndjson.gz";
    await aws.s3.send(new CreateBucketCommand({ Bucket: "kept-lake" }));
    await aws.s3.send(new PutObjectCommand({ Bucket: "kept-lake", Key: key, Body: Buffer.from("first") }));
    await aws.s3.send(new PutObjectCommand({ Bucket: "kept-lake", Key: key, Body: body }));
    await aws.dynamodb.send(
      new CreateTableCommand({
        TableName: "kept-serving",
        KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
        AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
        BillingMode: "PAY_PER_REQUEST",
      }),
    );
    for (const version of [1, 2]) {
      await aws.dynamodb.send(
        new PutItemCommand({
          TableName: "kept-serving",
          Item: { pk: { S: "elections.votes" }, version: { N: String(version) } },
        }),
      );
    }
    const { QueueUrl } = await aws.sqs.send(new CreateQueueCommand({ QueueName: "kept-queue" }));
    await aws.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "kept message" }));
    await aws.s3.send(new GetObjectCommand({ Bucket: "kept-lake", Key: key })); // a read, left out of the replay

    // Act: twice, so a replayed state is itself kept.
    for (const _ of [1, 2]) {
      await cli("down", "aws-emulator");
      await cli("up", "aws-emulator");
    }

    // Assess
    const object = await aws.s3.send(new GetObjectCommand({ Bucket: "kept-lake", Key: key }));
    expect(
      Buffer.from(
        await (object.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
      ),
    ).toEqual(body);
    const listed = await aws.s3.send(new ListObjectsV2Command({ Bucket: "kept-lake" }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual([key]);
    const item = await aws.dynamodb.send(
      new GetItemCommand({ TableName: "kept-serving", Key: { pk: { S: "elections.votes" } } }),
    );
    expect(item.Item?.version).toEqual({ N: "2" });
    const received = await aws.sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));
    expect(received.Messages?.map((m) => m.Body)).toEqual(["kept message"]);
  });
});

function awsClients(port: number) {
  const config = {
    endpoint: `http://127.0.0.1:${port}`,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  };
  return {
    s3: new S3Client({ ...config, forcePathStyle: true }),
    dynamodb: new DynamoDBClient(config),
    sqs: new SQSClient(config),
  };
}

describe("pipeline services up postgres, from a state dir the postgres user cannot enter", () => {
  // mkdtemp makes a 0700 directory: when we are root, PostgreSQL (run as `postgres`) cannot get in.
  const stateDir = mkdtempSync(join(tmpdir(), "pipeline-services-private-"));
  let env: NodeJS.ProcessEnv = {};
  const cli = async (...args: string[]) =>
    (await run(process.execPath, [CLI, "services", ...args], { env })).stdout;

  beforeAll(async () => {
    const [postgres] = await freePorts(1);
    env = { ...process.env, PIPELINE_SERVICES_DIR: stateDir, PGPORT: String(postgres) };
  });

  afterAll(async () => {
    await cli("down", "postgres").catch(() => {});
    const settings = servicesSettings(env);
    rmSync(postgresClusterDir(serviceContext(settings, "postgres")), { recursive: true, force: true });
    rmSync(stateDir, { recursive: true, force: true });
  });

  it("keeps the cluster where that user can reach it, and still logs to the state dir", async () => {
    // Act
    await cli("up", "postgres");
    const statuses = JSON.parse(await cli("status", "--json")) as Status[];

    // Assess
    const postgres = statuses.find((s) => s.name === "postgres");
    expect(postgres?.state).toBe("running");
    expect(postgres?.logFile?.startsWith(stateDir)).toBe(true);
    const clusterDir = postgresClusterDir(serviceContext(servicesSettings(env), "postgres"));
    expect(existsSync(join(clusterDir, "data", "PG_VERSION"))).toBe(true);
    if (process.getuid?.() === 0) expect(clusterDir.startsWith(stateDir)).toBe(false);
  });
});

async function withPg<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Command lines (NULs as spaces) of live processes that contain `text`. */
function commandLinesContaining(text: string): string[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry) && alive(Number(entry)))
    .map((entry) => {
      try {
        return readFileSync(`/proc/${entry}/cmdline`, "utf8").replaceAll("\0", " ");
      } catch {
        return "";
      }
    })
    .filter((cmdline) => cmdline.includes(text));
}

async function waitFor(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Alive and not a zombie (a zombie has ended; only its exit status waits to be collected). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/** `pid` and its live descendants (PostgreSQL's backends, a JVM's helpers…), from /proc. */
function processTree(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync("/proc").filter((e) => /^\d+$/.test(e))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (state !== "Z") parents.set(Number(entry), Number(ppid));
    } catch {
      // ended while we looked
    }
  }
  const tree = parents.has(pid) ? [pid] : [];
  for (let i = 0; i < tree.length; i++) {
    for (const [child, parent] of parents) if (parent === tree[i]) tree.push(child);
  }
  return tree;
}

async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<import("node:net").Server>((resolve) => {
          const server = createServer();
          server.listen(0, "127.0.0.1", () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as import("node:net").AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}
