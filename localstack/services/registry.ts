/** Every native service and tool, in one list: add one by adding an entry. */
import { awsEmulatorService } from "./aws-emulator/aws-emulator.ts";
import { dbtTool } from "./dbt/dbt.ts";
import { kafkaService } from "./kafka/kafka.ts";
import { postgresService } from "./postgres/postgres.ts";
import type { ServiceDefinition, ToolDefinition } from "./service.ts";
import { snowflakeService } from "./snowflake/snowflake.ts";

export const SERVICES: readonly ServiceDefinition[] = [
  kafkaService,
  postgresService,
  awsEmulatorService,
  snowflakeService,
];

export const TOOLS: readonly ToolDefinition[] = [dbtTool];

export const NAMES: readonly string[] = [...SERVICES, ...TOOLS].map((s) => s.name);

/**
 * What a separate set (tests that restart or kill services, the benchmark) starts: all but the
 * offline Snowflake, which none of them uses — every set would otherwise start its own.
 */
export const SEPARATE_SET_NAMES: readonly string[] = NAMES.filter((name) => name !== snowflakeService.name);
