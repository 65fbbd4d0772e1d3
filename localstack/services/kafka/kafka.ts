/**
 * Apache Kafka, one broker in KRaft mode (broker and controller in one process), from jars
 * Maven resolves into ~/.m2. Topics are never created automatically: the project creates its
 * own. Log4j writes to stdout, which the lifecycle appends to the service log file.
 *
 * Two client listeners: PLAINTEXT (`KAFKA_PORT`: tests, the CLI, admin; principal ANONYMOUS,
 * a super user) and SASL_PLAINTEXT with OAUTHBEARER (`KAFKA_IAM_PORT`) that takes MSK IAM
 * tokens as MSK does (msk-iam-validator/): principal = the role, `kafka-cluster:Connect` from
 * an allow-list file, everything else from ACLs (StandardAuthorizer, no ACL = deny). MSK's
 * IAM listener is TLS; this one is plaintext, a deliberate offline difference.
 */
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { createKafka } from "../../../core/kafka/client.ts";
import { InstallError } from "../errors.ts";
import { tcpOpen } from "../health.ts";
import { JAVA, JAVAC, MAVEN, requirePrerequisite } from "../prerequisites.ts";
import { reportProgress, secondsSince } from "../progress.ts";
import { type ServiceContext, type ServiceDefinition, serviceContext } from "../service.ts";
import type { ServicesSettings } from "../settings.ts";

const run = promisify(execFile);
const POM = "localstack/services/kafka/pom.xml";
const VALIDATOR_SOURCE = "localstack/services/kafka/msk-iam-validator/MskIamValidator.java";
const VALIDATOR_CLASS = "pipeline.kafka.MskIamValidator";

export const kafkaService: ServiceDefinition = {
  name: "kafka",
  prerequisites: [JAVA, JAVAC, MAVEN],
  port: (s) => s.ports.kafka,
  portVariable: "KAFKA_PORT",
  endpoint: (s) => `127.0.0.1:${s.ports.kafka}`,
  install: async (s) => {
    await mskIamValidatorClasses(s, await kafkaClasspath(s));
  },
  prepare: async (ctx) => {
    const jars = await kafkaClasspath(ctx.settings);
    const classpath = `${await mskIamValidatorClasses(ctx.settings, jars)}:${jars}`;
    const files = writeKafkaConfig(ctx);
    const java = requirePrerequisite(JAVA);
    // The classpath (~100 jars) goes in a java @argfile: `ps` and error messages stay readable.
    const classpathArgs = join(ctx.dir, "classpath.args");
    writeFileSync(classpathArgs, `-cp "${classpath}"\n`);
    const jvm = [
      `-Dlog4j2.configurationFile=${files.log4j}`,
      "-Djava.awt.headless=true",
      `@${classpathArgs}`,
    ];
    const { heap, performance: jitAndGc } = ctx.settings.kafkaJvm;
    if (!existsSync(join(files.dataDir, "meta.properties"))) {
      await formatStorage(java, [...jitAndGc, ...jvm], files.serverProperties, ctx.logFile);
    }
    return {
      command: java,
      args: [...heap, ...jitAndGc, ...jvm, "kafka.Kafka", files.serverProperties],
      cwd: ctx.dir,
    };
  },
  markers: (ctx) => ["kafka.Kafka", join(ctx.dir, "server.properties")],
  healthy: async (ctx) => (await tcpOpen(ctx.settings.ports.kafka)) && (await brokerAnswers(ctx.settings)),
  stopSignal: "SIGTERM",
  startTimeoutMs: 120_000,
};

/**
 * The broker's classpath (also the perf tools': `org.apache.kafka.tools.ProducerPerformance`),
 * resolved by Maven once per version of pom.xml and cached in `<cache>/kafka/`.
 */
export async function kafkaClasspath(settings: ServicesSettings): Promise<string> {
  const pom = join(settings.repoRoot, POM);
  const hash = createHash("sha256").update(readFileSync(pom)).digest("hex").slice(0, 16);
  const dir = join(settings.cacheDir, "kafka");
  const cached = join(dir, `classpath-${hash}.txt`);
  if (existsSync(cached)) {
    const classpath = readFileSync(cached, "utf8").trim();
    // ~/.m2 may have been cleaned since: then resolve again.
    if (classpath.split(":").every((jar) => existsSync(jar))) return classpath;
  }
  mkdirSync(dir, { recursive: true });
  const log = join(dir, "maven.log");
  const partial = `${cached}.partial`;
  const mvn = requirePrerequisite(MAVEN);
  const started = Date.now();
  reportProgress(
    `kafka: resolving the Kafka jars with Maven (first run: downloads into ~/.m2; log: ${log})…`,
  );
  try {
    const { stdout, stderr } = await run(
      mvn,
      [
        "-B",
        "-f",
        pom,
        "dependency:build-classpath",
        `-Dmdep.outputFile=${partial}`,
        "-DincludeScope=runtime",
      ],
      { maxBuffer: 64 * 1024 * 1024 },
    );
    writeFileSync(log, stdout + stderr);
  } catch (error) {
    const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
    writeFileSync(log, stdout + stderr);
    throw new InstallError(`Maven could not resolve the Kafka jars; see ${log}`, { cause: error });
  }
  renameSync(partial, cached);
  reportProgress(`kafka: jars resolved in ${secondsSince(started)}`);
  return readFileSync(cached, "utf8").trim();
}

/**
 * The file naming the roles allowed `kafka-cluster:Connect` on the MSK IAM listener, one per
 * line (the local runtime writes it: localstack/runtime/iam/kafka-acls.ts). No file: no role.
 */
export function mskIamAllowListFile(settings: ServicesSettings): string {
  return join(serviceContext(settings, "kafka").dir, "msk-iam-connect-allow-list.txt");
}

/**
 * Where the local runtime puts the temporary credentials it issues to the roles' sessions,
 * one file per access key id (localstack/runtime/iam/credentials.ts): the validator verifies
 * a token's SigV4 signature with them and names the principal after the key's role.
 */
export function mskIamCredentialsDir(settings: ServicesSettings): string {
  return join(serviceContext(settings, "kafka").dir, "msk-iam-credentials");
}

/**
 * The MSK IAM token validator compiled against the broker's kafka-clients jar, once per
 * version of its source and of the classpath, cached in `<cache>/kafka/`: a classes folder.
 */
async function mskIamValidatorClasses(settings: ServicesSettings, classpath: string): Promise<string> {
  const source = join(settings.repoRoot, VALIDATOR_SOURCE);
  const hash = createHash("sha256").update(readFileSync(source)).update(classpath).digest("hex").slice(0, 16);
  const dir = join(settings.cacheDir, "kafka", `msk-iam-validator-${hash}`);
  const classFile = `${join(dir, ...VALIDATOR_CLASS.split("."))}.class`;
  if (existsSync(classFile)) return dir;
  const clients = classpath.split(":").find((jar) => /\/kafka-clients-[^/]+\.jar$/.test(jar));
  if (!clients) throw new InstallError("the Kafka classpath has no kafka-clients jar to compile against");
  const partial = `${dir}.partial`;
  rmSync(partial, { recursive: true, force: true });
  const started = Date.now();
  reportProgress("kafka: compiling the MSK IAM token validator (javac)…");
  try {
    await run(requirePrerequisite(JAVAC), ["-d", partial, "-cp", clients, source]);
  } catch (error) {
    const { stderr = "" } = error as { stderr?: string };
    throw new InstallError(`javac could not compile ${VALIDATOR_SOURCE}: ${stderr.trim()}`, { cause: error });
  }
  rmSync(dir, { recursive: true, force: true });
  renameSync(partial, dir);
  reportProgress(`kafka: validator compiled in ${secondsSince(started)}`);
  return dir;
}

function writeKafkaConfig(ctx: ServiceContext) {
  const { kafka, kafkaController, kafkaIam } = ctx.settings.ports;
  const dataDir = join(ctx.dir, "data");
  mkdirSync(dataDir, { recursive: true });
  const jaasOptions = `allowListFile="${mskIamAllowListFile(ctx.settings)}" credentialsDir="${mskIamCredentialsDir(ctx.settings)}" unsecuredLoginStringClaim_sub="broker"`;
  const serverProperties = join(ctx.dir, "server.properties");
  writeFileSync(
    serverProperties,
    `${[
      "# Written by `pipeline services up` on every start; edit kafka.ts, not this file.",
      "process.roles=broker,controller",
      "node.id=1",
      `controller.quorum.voters=1@127.0.0.1:${kafkaController}`,
      `listeners=PLAINTEXT://127.0.0.1:${kafka},SASL_PLAINTEXT://127.0.0.1:${kafkaIam},CONTROLLER://127.0.0.1:${kafkaController}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${kafka},SASL_PLAINTEXT://127.0.0.1:${kafkaIam}`,
      "controller.listener.names=CONTROLLER",
      "inter.broker.listener.name=PLAINTEXT",
      "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT",
      // MSK IAM on the SASL listener: our validator (the broker's own login is never used).
      "listener.name.sasl_plaintext.sasl.enabled.mechanisms=OAUTHBEARER",
      `listener.name.sasl_plaintext.oauthbearer.sasl.server.callback.handler.class=${VALIDATOR_CLASS}`,
      `listener.name.sasl_plaintext.oauthbearer.sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required ${jaasOptions};`,
      // Sessions end with the token (15 min at most) or after 10 min: clients re-authenticate
      // with a fresh token, as MSK makes them do.
      "connections.max.reauth.ms=600000",
      // ACLs decide what an MSK IAM principal may do; PLAINTEXT and CONTROLLER are ANONYMOUS.
      "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
      "super.users=User:ANONYMOUS",
      "allow.everyone.if.no.acl.found=false",
      `log.dirs=${dataDir}`,
      "auto.create.topics.enable=false",
      "num.partitions=1",
      // One broker: every internal topic has one replica.
      "offsets.topic.replication.factor=1",
      "offsets.topic.num.partitions=10",
      "transaction.state.log.replication.factor=1",
      "transaction.state.log.min.isr=1",
      "share.coordinator.state.topic.replication.factor=1",
      "share.coordinator.state.topic.min.isr=1",
      // Consumer groups of tests and the local runtime join at once, without the 3 s wait.
      "group.initial.rebalance.delay.ms=0",
    ].join("\n")}\n`,
  );
  const log4j = join(ctx.dir, "log4j2.properties");
  writeFileSync(
    log4j,
    [
      "status = warn",
      "appender.stdout.type = Console",
      "appender.stdout.name = stdout",
      "appender.stdout.layout.type = PatternLayout",
      "appender.stdout.layout.pattern = [%d] %p %m (%c)%n",
      "rootLogger.level = INFO",
      "rootLogger.appenderRef.stdout.ref = stdout",
      // The request logger and the state change logger are chatty at INFO.
      "logger.request.name = kafka.request.logger",
      "logger.request.level = WARN",
      "logger.state.name = state.change.logger",
      "logger.state.level = WARN",
      // Denied operations at INFO name the principal, operation and resource.
      "logger.authorizer.name = kafka.authorizer.logger",
      "logger.authorizer.level = INFO",
      "logger.authorizer.additivity = true",
      "",
    ].join("\n"),
  );
  return { dataDir, serverProperties, log4j };
}

/** KRaft needs its storage formatted with a cluster id before the first start. */
async function formatStorage(java: string, jvm: string[], serverProperties: string, logFile: string) {
  const clusterId = newClusterId();
  try {
    const { stdout, stderr } = await run(java, [
      ...jvm,
      "kafka.tools.StorageTool",
      "format",
      "--ignore-formatted",
      "-t",
      clusterId,
      "-c",
      serverProperties,
    ]);
    writeFileSync(logFile, stdout + stderr, { flag: "a" });
  } catch (error) {
    const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
    writeFileSync(logFile, stdout + stderr, { flag: "a" });
    // The tool's last line names the cause (a wrong setting, a directory another broker holds).
    const lastLine = (stderr || stdout).trim().split("\n").at(-1) ?? "";
    throw new InstallError(`formatting the Kafka storage failed (${lastLine}); see ${logFile}`, {
      cause: error,
    });
  }
}

/** A Kafka cluster id: 16 random bytes, URL-safe base64 (Kafka avoids a leading '-'). */
function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString("base64url");
    if (!id.startsWith("-")) return id;
  }
}

/** The broker answers a metadata request (describeCluster) through the project's client. */
async function brokerAnswers(settings: ServicesSettings): Promise<boolean> {
  const admin = createKafka({
    brokers: [`127.0.0.1:${settings.ports.kafka}`],
    auth: "none",
    clientId: "pipeline-services",
  }).admin();
  const ask = async () => {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0 && cluster.controller !== null;
  };
  // The client retries for a while on its own; a health check should answer quickly.
  const giveUp = new Promise<boolean>((resolve) => setTimeout(resolve, 10_000, false).unref());
  try {
    return await Promise.race([ask(), giveUp]);
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}
