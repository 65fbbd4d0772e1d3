/**
 * The host tools the services need. A missing one becomes one sentence naming it and how to
 * install it (Debian package names: that is what the machines and CI run).
 */
import { accessSync, constants, existsSync, readdirSync } from "node:fs";
import { delimiter, join } from "node:path";
import { MissingPrerequisiteError } from "./errors.ts";

export interface Prerequisite {
  readonly name: string;
  /** Returns the path of the tool, or undefined when it is missing. */
  readonly find: () => string | undefined;
  readonly howToInstall: string;
}

export const JAVA: Prerequisite = {
  name: "java (a Java 17+ runtime, for Kafka)",
  find: () => findExecutable("java"),
  howToInstall: "apt-get install openjdk-17-jre-headless",
};

/** Compiles the broker's MSK IAM token validator (localstack/services/kafka/msk-iam-validator). */
export const JAVAC: Prerequisite = {
  name: "javac (a Java 17+ JDK, for Kafka's MSK IAM validator)",
  find: () => findExecutable("javac"),
  howToInstall: "apt-get install openjdk-17-jdk-headless",
};

export const MAVEN: Prerequisite = {
  name: "mvn (Apache Maven, resolves the Kafka jars)",
  find: () => findExecutable("mvn"),
  howToInstall: "apt-get install maven",
};

export const PYTHON: Prerequisite = {
  name: "python3 (for the AWS emulator and dbt)",
  find: () => findExecutable("python3"),
  howToInstall: "apt-get install python3 python3-venv",
};

export const POSTGRES: Prerequisite = {
  name: "the PostgreSQL server binaries (initdb, postgres)",
  find: () => postgresBinDir(),
  howToInstall:
    "apt-get install postgresql-15 (or set PG_BIN_DIR to a directory holding initdb and postgres)",
};

/** Throws one MissingPrerequisiteError naming every missing tool, or returns quietly. */
export function assertPrerequisites(prerequisites: readonly Prerequisite[]): void {
  const missing = [...new Set(prerequisites)].filter((p) => p.find() === undefined);
  if (missing.length === 0) return;
  const sentences = missing.map((p) => `${p.name} is not installed; install it with \`${p.howToInstall}\`.`);
  throw new MissingPrerequisiteError(sentences.join(" "));
}

/** Like {@link Prerequisite.find} but throws when missing. */
export function requirePrerequisite(prerequisite: Prerequisite): string {
  assertPrerequisites([prerequisite]);
  return prerequisite.find() as string;
}

export function findExecutable(name: string, path = process.env.PATH ?? ""): string | undefined {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** `PG_BIN_DIR`, else the newest `/usr/lib/postgresql/<major>/bin` holding a server. */
export function postgresBinDir(env = process.env, root = "/usr/lib/postgresql"): string | undefined {
  const hasServer = (dir: string) => existsSync(join(dir, "postgres")) && existsSync(join(dir, "initdb"));
  if (env.PG_BIN_DIR) return hasServer(env.PG_BIN_DIR) ? env.PG_BIN_DIR : undefined;
  if (!existsSync(root)) return undefined;
  const majors = readdirSync(root)
    .filter((name) => /^\d+$/.test(name))
    .sort((a, b) => Number(b) - Number(a));
  return majors.map((major) => join(root, major, "bin")).find(hasServer);
}
