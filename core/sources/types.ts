/**
 * A source is where a dataset's records come from before they reach Kafka: a generator, a
 * file shipped in an npm package, or an API. It yields raw records tagged with the entity
 * (topic) they belong to; the producer validates them against the topic's schema.
 */
import { PipelineError } from "../errors.ts";

/** One raw record for one of the dataset's topics (by entity name, e.g. "votes"). */
export interface SourceRecord {
  readonly entity: string;
  readonly value: unknown;
  /** Where it came from in a file (line number), reported back if the record is invalid. */
  readonly line?: number;
}

export interface Source {
  /** The `source` header value: generator | superstore-file | stocks-csv | api. */
  readonly name: string;
  /** How many records it will yield, when known up front (for the progress bar). */
  readonly expectedCount?: number;
  readonly records: AsyncIterable<SourceRecord>;
}

export interface SourceOptions {
  /** Dataset-specific: voters for elections, rows for files, ticks for generators. */
  readonly count?: number;
  readonly seed?: number;
  /** Dataset-specific settings from the command line, e.g. elections' `candidates` file. */
  readonly settings?: Readonly<Record<string, string | undefined>>;
}

/** How one kind of source is created; a dataset lists the kinds it supports. */
export interface SourceDefinition {
  readonly kind: "generator" | "file" | "api";
  readonly description: string;
  readonly open: (options: SourceOptions) => Source;
}

/** The sources a dataset offers and which one `produce` uses when none is asked for. */
export interface DatasetSources {
  readonly definitions: readonly SourceDefinition[];
  readonly defaultKind: (options: SourceOptions) => SourceDefinition["kind"];
}

export class SourceError extends PipelineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The source exists but cannot be reached (e.g. an API while offline). */
export class SourceUnavailableError extends SourceError {}
