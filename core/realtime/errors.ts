/** Failures of the real-time store; each keeps its cause. */
import { PipelineError } from "../errors.ts";
export class RealtimeError extends PipelineError {}

/** Reading or writing the serving table failed (throttling, network, missing table…). */
export class ServingStoreError extends RealtimeError {}

/** Another writer kept changing the same partition's state; the batch is retried as a whole. */
export class ConcurrentUpdateError extends RealtimeError {}

/** A stored item doesn't have the shape this code writes. */
export class CorruptStateError extends RealtimeError {}
