/**
 * Stage 4, reference limits on the same machine and the same data: what Kafka itself can
 * produce and consume (its own perf classes from the broker's jars, run with java) and what
 * PostgreSQL can COPY (psql's \copy of the very rows load-raw wrote).
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { loadConfig } from "../core/config/index.ts";
import { createKafka, ensureTopics } from "../core/kafka/client.ts";
import { postgresPool } from "../core/warehouse/postgres/pool.ts";
import { kafkaClasspath, servicesSettings } from "../localstack/services/index.ts";
import { JAVA, postgresBinDir, requirePrerequisite } from "../localstack/services/prerequisites.ts";
import type { VotesFile } from "./data.ts";
import { ToolError } from "./errors.ts";
import { perSecond, timed } from "./measure.ts";

const run = promisify(execFile);

export interface ReferenceLimits {
  /** Kafka ProducerPerformance, acks=all, payloads drawn from the votes file, records/s. */
  readonly kafkaProducePerSecond: number;
  /** Kafka ConsumerPerformance over the whole votes topic (fetch rate, without the group join), records/s. */
  readonly kafkaConsumePerSecond: number;
  /** psql \copy of the raw votes rows into a table shaped like the raw table, rows/s. */
  readonly postgresCopyPerSecond: number;
}

/** Below this many records the JVM's warm-up dominates a perf tool's figure. */
const MIN_PERF_RECORDS = 200_000;

/**
 * @param file the main ingest's votes (the producer tool's payloads)
 * @param topicVotes votes in the votes topic (the consumer tool reads them all)
 */
export async function measureLimits(
  file: VotesFile,
  topicVotes: number,
  workDir: string,
): Promise<ReferenceLimits> {
  const classpath = await kafkaClasspath(servicesSettings());
  return {
    kafkaProducePerSecond: await kafkaProduceLimit(classpath, file),
    kafkaConsumePerSecond: await kafkaConsumeLimit(classpath, topicVotes),
    postgresCopyPerSecond: await postgresCopyLimit(workDir),
  };
}

/** The same partitions as the votes topic, a topic of its own so the lake never sees it. */
async function kafkaProduceLimit(classpath: string, file: VotesFile): Promise<number> {
  const config = loadConfig();
  const topic = `bench.producer-limit.${Date.now()}`;
  const admin = createKafka(config.kafka, "-bench").admin();
  await admin.connect();
  try {
    await ensureTopics(admin, [{ topic, partitions: 3 }]);
  } finally {
    await admin.disconnect();
  }
  const output = await java(classpath, "org.apache.kafka.tools.ProducerPerformance", [
    "--topic",
    topic,
    // Payloads are drawn from the file's lines; at least MIN_PERF_RECORDS of them.
    "--num-records",
    String(Math.max(file.count, MIN_PERF_RECORDS)),
    "--payload-file",
    file.path,
    "--throughput",
    "-1",
    "--producer-props",
    `bootstrap.servers=${config.kafka.brokers.join(",")}`,
    "acks=all",
  ]);
  // The summary line: "1000000 records sent, 251256.3 records/sec (38.1 MB/sec), …"
  const summary = [...output.matchAll(/records sent, ([\d.]+) records\/sec/g)].at(-1);
  if (!summary) throw new ToolError(`ProducerPerformance printed no summary: ${output.slice(-500)}`);
  return Math.round(Number(summary[1]));
}

async function kafkaConsumeLimit(classpath: string, records: number): Promise<number> {
  const config = loadConfig();
  const output = await java(classpath, "org.apache.kafka.tools.ConsumerPerformance", [
    "--bootstrap-server",
    config.kafka.brokers.join(","),
    "--topic",
    "elections.votes",
    "--messages",
    String(records),
    "--group",
    `bench-consumer-limit-${Date.now()}`,
    "--timeout",
    "60000",
  ]);
  // A CSV header and one row; fetch.nMsg.sec leaves out the group join (seconds on a fresh group).
  const lines = output.trim().split("\n");
  const headerAt = lines.findIndex((line) => line.includes("fetch.nMsg.sec"));
  const header = lines[headerAt]?.split(",").map((h) => h.trim()) ?? [];
  const row = lines[headerAt + 1]?.split(",").map((v) => v.trim()) ?? [];
  const value = Number(row[header.indexOf("fetch.nMsg.sec")]);
  if (headerAt < 0 || !Number.isFinite(value))
    throw new ToolError(`ConsumerPerformance printed no figures: ${output.slice(-500)}`);
  return Math.round(value);
}

/** Copies the loaded votes out, then times psql copying them into an empty table of the same shape. */
async function postgresCopyLimit(workDir: string): Promise<number> {
  const columns = `topic, partition, "offset", record_key, payload, kafka_ts, source_object`;
  const rowsFile = join(workDir, "raw-votes.copy");
  const pool = postgresPool(loadConfig().postgres.url);
  await pool.query("drop table if exists bench_copy_limit");
  await pool.query("create table bench_copy_limit (like raw.elections_votes including all)");
  await psql(`\\copy (select ${columns} from raw.elections_votes) to '${rowsFile}'`);
  const { seconds } = await timed(() => psql(`\\copy bench_copy_limit (${columns}) from '${rowsFile}'`));
  const { rows } = await pool.query<{ n: string }>("select count(*)::bigint as n from bench_copy_limit");
  await pool.query("drop table bench_copy_limit");
  return perSecond(Number(rows[0]?.n ?? 0), seconds);
}

/** Runs one psql command against the configured database. */
export async function psql(command: string): Promise<string> {
  const bin = postgresBinDir();
  if (!bin) throw new ToolError("psql not found: install postgresql-15 (or set PG_BIN_DIR)");
  const url = loadConfig().postgres.url;
  try {
    const { stdout } = await run(join(bin, "psql"), [url, "-v", "ON_ERROR_STOP=1", "-qc", command], {
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout;
  } catch (error) {
    throw new ToolError(`psql failed: ${(error as { stderr?: string }).stderr ?? error}`, { cause: error });
  }
}

async function java(classpath: string, mainClass: string, args: readonly string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run(
      requirePrerequisite(JAVA),
      ["-Xmx1g", "-cp", classpath, mainClass, ...args],
      { maxBuffer: 64 * 1024 * 1024 },
    );
    return stdout + stderr;
  } catch (error) {
    const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
    throw new ToolError(`${mainClass} failed: ${(stderr || stdout).slice(-500)}`, { cause: error });
  }
}
