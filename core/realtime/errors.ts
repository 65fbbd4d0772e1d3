/** Failures of the real-time store; each keeps its cause. */
export class RealtimeError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Reading or writing the serving table failed (throttling, network, missing table…). */
export class ServingStoreError extends RealtimeError {}

/** Another writer kept changing the same partition's state; the batch is retried as a whole. */
export class ConcurrentUpdateError extends RealtimeError {}

/** A stored item doesn't have the shape this code writes. */
export class CorruptStateError extends RealtimeError {}
