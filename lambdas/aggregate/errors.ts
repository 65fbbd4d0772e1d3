/** Failures that must fail the invocation so the event source mapping redelivers the batch. */
import { PipelineError } from "../../core/errors.ts";
export class AggregateVotesError extends PipelineError {}

/** The event isn't an MSK event at all (a wiring mistake, not a bad record). */
export class InvalidEventError extends AggregateVotesError {}

/** Publishing the totals to the aggregated topics failed (the totals themselves are stored). */
export class PublishError extends AggregateVotesError {}
