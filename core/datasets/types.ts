/**
 * A dataset plugin: everything the pipeline needs to carry one kind of data end to end.
 * The pipeline code (producers, land-records, load-raw, file-to-topic, reconcile) only ever
 * talks to this interface, so adding a dataset means adding a folder here, a dbt source and
 * marts — no pipeline change.
 */
import type { z } from "zod";
import type { DatasetSources } from "../sources/types.ts";

/** One Kafka topic of a dataset and the raw table it lands in. */
export interface TopicSpec<Schema extends z.ZodType = z.ZodType> {
  /** The entity the topic carries, e.g. "votes"; also the `incoming/<dataset>/<entity>/` folder. */
  readonly entity: string;
  /** Kafka topic name. */
  readonly topic: string;
  /** Raw warehouse table (schema `raw`) the landed records are loaded into. */
  readonly rawTable: string;
  /** Partitions created for the topic. */
  readonly partitions: number;
  /**
   * Validates one record and returns its canonical form (the JSON produced to Kafka).
   * Parsing a canonical record again returns it unchanged, so land-records can re-validate.
   */
  readonly schema: Schema;
  /** The natural id: the Kafka record key (voter id, order row id, symbol+timestamp). */
  readonly key: (record: z.output<Schema>) => string;
  /** Event time of a record (ISO 8601), used for partitioned keys and windows. */
  readonly eventTime: (record: z.output<Schema>) => string;
}

export interface Dataset {
  readonly name: string;
  readonly description: string;
  /** Bumped when a schema changes incompatibly; sent in the `schema-version` header. */
  readonly schemaVersion: number;
  readonly topics: readonly TopicSpec[];
  /** Where `pipeline produce` gets records from (generators, shipped files, APIs). */
  readonly sources?: DatasetSources;
}

/** Declares a topic while keeping its schema's type for `key` and `eventTime`. */
export function defineTopic<Schema extends z.ZodType>(spec: TopicSpec<Schema>): TopicSpec {
  return spec as unknown as TopicSpec;
}
