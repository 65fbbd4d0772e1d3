/**
 * One call that produces a dataset from one of its sources: creates the dataset's topics,
 * connects an idempotent producer, produces, disconnects. Used by `pipeline produce`, the
 * benchmark and the integration tests.
 */
import type { Config } from "../config/index.ts";
import type { Dataset } from "../datasets/types.ts";
import { PipelineError } from "../errors.ts";
import { connectProducer, createKafka, ensureTopics } from "../kafka/client.ts";
import type { Source, SourceDefinition, SourceOptions } from "../sources/types.ts";
import { type ProduceOptions, type ProduceResult, produceRecords } from "./produce.ts";

export class ProduceError extends PipelineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The source definition `kind` of a dataset, or its default for these options. */
export function chooseSource(
  dataset: Dataset,
  kind: string | undefined,
  options: SourceOptions,
): SourceDefinition {
  const sources = dataset.sources;
  if (!sources) throw new ProduceError(`dataset "${dataset.name}" declares no sources to produce from`);
  const wanted = kind ?? sources.defaultKind(options);
  const found = sources.definitions.find((d) => d.kind === wanted);
  if (!found) {
    const known = sources.definitions.map((d) => d.kind).join(", ");
    throw new ProduceError(`dataset "${dataset.name}" has no "${wanted}" source (it has: ${known})`);
  }
  return found;
}

/** The dataset's topics with their declared partition counts; created if missing. */
export async function ensureDatasetTopics(config: Config, dataset: Dataset): Promise<string[]> {
  const admin = createKafka(config.kafka, "-admin").admin();
  await admin.connect();
  try {
    return await ensureTopics(
      admin,
      dataset.topics.map((t) => ({ topic: t.topic, partitions: t.partitions })),
    );
  } finally {
    await admin.disconnect();
  }
}

export interface ProduceDatasetOptions extends Omit<ProduceOptions, "source"> {
  /** Overrides the source's own header value. */
  readonly sourceHeader?: string;
}

export async function produceDataset(
  config: Config,
  dataset: Dataset,
  source: Source,
  options: ProduceDatasetOptions = {},
): Promise<ProduceResult> {
  await ensureDatasetTopics(config, dataset);
  const producer = await connectProducer(createKafka(config.kafka, "-producer"));
  try {
    return await produceRecords(producer, dataset, source.records, {
      ...options,
      source: options.sourceHeader ?? source.name,
    });
  } finally {
    await producer.disconnect();
  }
}
