/** The native offline services (Kafka, PostgreSQL, the AWS emulator, dbt): see README.md in localstack/. */
export * from "./errors.ts";
export { kafkaClasspath } from "./kafka/kafka.ts";
export {
  type DownResult,
  disown,
  down,
  downOwned,
  type ServiceStatus,
  status,
  type UpResult,
  up,
} from "./lifecycle.ts";
export { ownServicesStarted } from "./ownership.ts";
export { clusterDir as postgresClusterDir, postgresUrl } from "./postgres/postgres.ts";
export { SEPARATE_SET_NAMES } from "./registry.ts";
export { dbtPaths, separateServicesEnv } from "./separate.ts";
export { serviceContext } from "./service.ts";
export {
  clientEnv,
  KAFKA_JVM_PERFORMANCE_OPTS,
  type ServicesSettings,
  servicesSettings,
} from "./settings.ts";
