/**
 * The verdict of one topic from plain stage data: is every Kafka record in the lake (landed
 * or quarantined), every landed record in the raw table, and is staging what the raw table
 * says it should be? Where not, the issues say which stage, how many, and which offsets.
 * Pure, so it is tested with plain data; `reconcile.ts` reads the stages.
 */
import { type OffsetRange, OffsetSet } from "./offset-set.ts";

export interface PartitionOffsets {
  readonly partition: number;
  /** First offset still in the topic (start offset). */
  readonly low: number;
  /** Next offset to be written (end offset): the partition holds high − low records. */
  readonly high: number;
}

/** Offsets per partition. */
export type PartitionSets = ReadonlyMap<number, OffsetSet>;

export interface StageData {
  readonly dataset: string;
  readonly entity: string;
  readonly topic: string;
  /** undefined when the topic does not exist. */
  readonly kafka: readonly PartitionOffsets[] | undefined;
  readonly lake: {
    readonly landed: PartitionSets;
    readonly quarantined: PartitionSets;
    /** Distinct quarantined records by reason kind (`invalid-json`, `schema-violation`…). */
    readonly quarantinedByReason: Readonly<Record<string, number>>;
    /** Lines and objects read: lines can exceed records when an overlapping batch landed twice. */
    readonly landedLines: number;
    readonly landedObjects: number;
    readonly quarantinedLines: number;
    readonly quarantinedObjects: number;
  };
  readonly warehouse: {
    readonly table: string;
    readonly rows: PartitionSets;
    /** Distinct record keys in the raw table: what a staging model deduplicated by key holds. */
    readonly distinctKeys: number;
  };
  /** undefined when dbt has not built the staging view (or no model reads the table). */
  readonly staging: { readonly view: string; readonly rows: number } | undefined;
}

export type IssueKind =
  /** In Kafka, in neither raw/ nor quarantine/. */
  | "not-landed"
  /** In raw/ or quarantine/ at an offset Kafka never had (e.g. the topic was recreated). */
  | "unknown-to-kafka"
  /** Both landed and quarantined. */
  | "landed-and-quarantined"
  /** In raw/, not in the raw table. */
  | "not-loaded"
  /** In the raw table, not in raw/. */
  | "not-in-lake"
  /** Staging rows ≠ distinct keys of the raw table. */
  | "staging-mismatch";

export interface Issue {
  readonly stage: "lake" | "warehouse" | "staging";
  readonly kind: IssueKind;
  /** Records concerned. */
  readonly count: number;
  readonly partition?: number;
  /** Inclusive offset ranges concerned (at most MAX_RANGES listed; `count` is exact). */
  readonly ranges?: readonly OffsetRange[];
  readonly detail: string;
}

export interface TopicReconciliation {
  readonly dataset: string;
  readonly entity: string;
  readonly topic: string;
  readonly reconciled: boolean;
  readonly kafka: {
    readonly exists: boolean;
    readonly records: number;
    readonly partitions: readonly PartitionOffsets[];
  };
  readonly landed: { readonly records: number; readonly lines: number; readonly objects: number };
  readonly quarantined: {
    readonly records: number;
    readonly lines: number;
    readonly objects: number;
    readonly byReason: Readonly<Record<string, number>>;
  };
  /** Records in the lake below a partition's start offset: landed before Kafka's retention removed them. */
  readonly expiredFromKafka: number;
  readonly raw: { readonly table: string; readonly rows: number; readonly distinctKeys: number };
  readonly staging:
    | { readonly built: true; readonly view: string; readonly rows: number }
    | { readonly built: false };
  /**
   * Records missing between stages (not landed + not loaded) once the stages stopped moving;
   * while they move, the same records are `inFlight` and `lost` is 0.
   */
  readonly lost: number;
  readonly inFlight: number;
  /**
   * Raw rows whose key an earlier row already had (a producer retry writing a record twice
   * looks exactly like this; so does a legitimate re-send, which staging's dedupe by key
   * absorbs). Never negative: rows and keys are read in one snapshot.
   */
  readonly duplicated: number;
  readonly issues: readonly Issue[];
}

/** Records in a topic's partitions: Σ (high − low). */
export function kafkaRecords(partitions: readonly PartitionOffsets[]): number {
  return partitions.reduce((n, p) => n + (p.high - p.low), 0);
}

/** Ranges listed per issue; the count stays exact. */
export const MAX_RANGES = 20;

/** `settled`: the stages did not move while they were read (false: what is missing is in flight). */
export function reconcileTopic(data: StageData, settled = true): TopicReconciliation {
  const issues: Issue[] = [];
  const kafka = data.kafka ?? [];
  const kafkaPartitions = new Map(kafka.map((p) => [p.partition, p]));
  let expired = 0;

  // Kafka → lake, per partition: every offset in [low, high) landed or quarantined.
  const partitions = new Set([
    ...kafkaPartitions.keys(),
    ...data.lake.landed.keys(),
    ...data.lake.quarantined.keys(),
  ]);
  for (const partition of [...partitions].sort((a, b) => a - b)) {
    const landed = data.lake.landed.get(partition) ?? new OffsetSet();
    const quarantined = data.lake.quarantined.get(partition) ?? new OffsetSet();
    const inLake = OffsetSet.of([...landed.ranges(), ...quarantined.ranges()]);
    const p = kafkaPartitions.get(partition);
    const inKafka = p && p.high > p.low ? OffsetSet.of([{ from: p.low, to: p.high - 1 }]) : new OffsetSet();
    const belowLow = p && p.low > 0 ? OffsetSet.of([{ from: 0, to: p.low - 1 }]) : new OffsetSet();

    push(
      issues,
      "lake",
      "not-landed",
      partition,
      inKafka.minus(inLake),
      "in Kafka, not in raw/ or quarantine/",
    );
    const outside = inLake.minus(inKafka);
    expired += outside.intersect(belowLow).size;
    push(
      issues,
      "lake",
      "unknown-to-kafka",
      partition,
      outside.minus(belowLow),
      "in the lake at offsets the topic never had",
    );
    push(
      issues,
      "lake",
      "landed-and-quarantined",
      partition,
      landed.intersect(quarantined),
      "both in raw/ and in quarantine/",
    );
  }

  // Lake → raw table.
  const tablePartitions = new Set([...data.lake.landed.keys(), ...data.warehouse.rows.keys()]);
  for (const partition of [...tablePartitions].sort((a, b) => a - b)) {
    const landed = data.lake.landed.get(partition) ?? new OffsetSet();
    const rows = data.warehouse.rows.get(partition) ?? new OffsetSet();
    push(
      issues,
      "warehouse",
      "not-loaded",
      partition,
      landed.minus(rows),
      `in raw/, not in ${data.warehouse.table}`,
    );
    push(
      issues,
      "warehouse",
      "not-in-lake",
      partition,
      rows.minus(landed),
      `in ${data.warehouse.table}, not in raw/`,
    );
  }

  // Raw table → staging: the staging model keeps one row per natural key (the Kafka key).
  if (data.staging && data.staging.rows !== data.warehouse.distinctKeys) {
    const diff = data.staging.rows - data.warehouse.distinctKeys;
    issues.push({
      stage: "staging",
      kind: "staging-mismatch",
      count: Math.abs(diff),
      detail: `${data.staging.view} has ${data.staging.rows} rows, ${data.warehouse.table} has ${data.warehouse.distinctKeys} distinct keys`,
    });
  }

  const missing = issues
    .filter((i) => i.kind === "not-landed" || i.kind === "not-loaded")
    .reduce((n, i) => n + i.count, 0);
  const total = (sets: PartitionSets) => [...sets.values()].reduce((n, s) => n + s.size, 0);
  return {
    dataset: data.dataset,
    entity: data.entity,
    topic: data.topic,
    reconciled: issues.length === 0,
    kafka: {
      exists: data.kafka !== undefined,
      records: kafkaRecords(kafka),
      partitions: [...kafka].sort((a, b) => a.partition - b.partition),
    },
    landed: {
      records: total(data.lake.landed),
      lines: data.lake.landedLines,
      objects: data.lake.landedObjects,
    },
    quarantined: {
      records: total(data.lake.quarantined),
      lines: data.lake.quarantinedLines,
      objects: data.lake.quarantinedObjects,
      byReason: data.lake.quarantinedByReason,
    },
    expiredFromKafka: expired,
    raw: {
      table: data.warehouse.table,
      rows: total(data.warehouse.rows),
      distinctKeys: data.warehouse.distinctKeys,
    },
    staging: data.staging
      ? { built: true, view: data.staging.view, rows: data.staging.rows }
      : { built: false },
    lost: settled ? missing : 0,
    inFlight: settled ? 0 : missing,
    duplicated: total(data.warehouse.rows) - data.warehouse.distinctKeys,
    issues,
  };
}

function push(
  issues: Issue[],
  stage: Issue["stage"],
  kind: IssueKind,
  partition: number,
  offsets: OffsetSet,
  detail: string,
): void {
  const count = offsets.size;
  if (count === 0) return;
  issues.push({ stage, kind, count, partition, ranges: offsets.ranges().slice(0, MAX_RANGES), detail });
}
