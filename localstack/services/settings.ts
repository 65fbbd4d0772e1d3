/**
 * Where the native services live and which ports they use, read from the environment so a
 * second, separate set (other ports, another state dir) can run beside the shared one.
 */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ServicesError } from "./errors.ts";

type Env = Record<string, string | undefined>;

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

export interface ServicesSettings {
  readonly repoRoot: string;
  /** Installed things shared by every state dir: Python venvs, the Kafka classpath. */
  readonly cacheDir: string;
  /** Data, logs and pid files of one set of services. */
  readonly stateDir: string;
  readonly ports: {
    readonly kafka: number;
    readonly kafkaController: number;
    /** The broker's SASL_PLAINTEXT listener: MSK IAM (OAUTHBEARER) principals, ACLs enforced. */
    readonly kafkaIam: number;
    readonly postgres: number;
    readonly awsEmulator: number;
    /** The offline Snowflake (fakesnow behind serve.py). */
    readonly snowflake: number;
  };
  /** Whether the AWS emulator keeps its state across a restart (aws-emulator/persistence.ts). */
  readonly persistEmulatorState: boolean;
  /** The Kafka JVM's options, by the names Kafka's own start scripts read. */
  readonly kafkaJvm: {
    /** KAFKA_HEAP_OPTS. */
    readonly heap: readonly string[];
    /** KAFKA_JVM_PERFORMANCE_OPTS: JIT and GC (the storage format tool runs with them too). */
    readonly performance: readonly string[];
  };
}

/**
 * Settings from the environment: `PIPELINE_SERVICES_DIR` (default `.cache/services`),
 * `PIPELINE_CACHE_DIR` (default `.cache`), `KAFKA_PORT` (9092), `KAFKA_CONTROLLER_PORT`
 * (Kafka port + 1), `KAFKA_IAM_PORT` (Kafka port + 4, the MSK IAM listener), `PGPORT` (5432), `AWS_EMULATOR_PORT` (4566),
 * `SNOWFLAKE_EMULATOR_PORT` (emulator port + 1, so every set of ports has its own), `AWS_EMULATOR_PERSIST`
 * (`0` for an emulator that forgets everything when it stops; default on), `KAFKA_HEAP_OPTS`
 * (`-Xms256m -Xmx1g`), `KAFKA_JVM_PERFORMANCE_OPTS` (`-XX:+UseG1GC`).
 */
export function servicesSettings(env: Env = process.env): ServicesSettings {
  const cacheDir = resolve(env.PIPELINE_CACHE_DIR || join(REPO_ROOT, ".cache"));
  const kafka = portFrom(env, "KAFKA_PORT", 9092);
  const awsEmulator = portFrom(env, "AWS_EMULATOR_PORT", 4566);
  return {
    repoRoot: REPO_ROOT,
    cacheDir,
    stateDir: resolve(env.PIPELINE_SERVICES_DIR || join(cacheDir, "services")),
    ports: {
      kafka,
      kafkaController: portFrom(env, "KAFKA_CONTROLLER_PORT", kafka + 1),
      // + 4: + 1 is the controller, and MSK's own IAM ports end in 8 (9098), clear of both.
      kafkaIam: portFrom(env, "KAFKA_IAM_PORT", kafka + 4),
      postgres: portFrom(env, "PGPORT", 5432),
      awsEmulator,
      snowflake: portFrom(env, "SNOWFLAKE_EMULATOR_PORT", awsEmulator + 1),
    },
    persistEmulatorState: env.AWS_EMULATOR_PERSIST !== "0",
    kafkaJvm: {
      heap: jvmOptions(env, "KAFKA_HEAP_OPTS", "-Xms256m -Xmx1g"),
      performance: jvmOptions(env, KAFKA_JVM_PERFORMANCE_OPTS, "-XX:+UseG1GC"),
    },
  };
}

/**
 * Kafka's own name for the broker JVM's JIT and GC options. The tests set C1 only
 * (test/fixtures/test-services.ts); `bench` and the developer's set keep the default.
 */
export const KAFKA_JVM_PERFORMANCE_OPTS = "KAFKA_JVM_PERFORMANCE_OPTS";

/** A JVM options variable split into arguments, or its default. */
function jvmOptions(env: Env, name: string, fallback: string): string[] {
  return (env[name] || fallback).split(/\s+/).filter(Boolean);
}

/** The environment a client of these services needs (brokers, database URL, emulator). */
export function clientEnv(settings: ServicesSettings): Record<string, string> {
  const { ports } = settings;
  return {
    KAFKA_BROKERS: `127.0.0.1:${ports.kafka}`,
    KAFKA_IAM_BROKERS: `127.0.0.1:${ports.kafkaIam}`,
    DATABASE_URL: `postgres://pipeline:pipeline@127.0.0.1:${ports.postgres}/warehouse`,
    PGHOST: "127.0.0.1",
    PGPORT: String(ports.postgres),
    PGUSER: "pipeline",
    PGPASSWORD: "pipeline",
    PGDATABASE: "warehouse",
    AWS_ENDPOINT_URL: `http://127.0.0.1:${ports.awsEmulator}`,
  };
}

function portFrom(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ServicesError(`${name} must be a TCP port number (1-65535), got "${raw}"`);
  }
  return port;
}
