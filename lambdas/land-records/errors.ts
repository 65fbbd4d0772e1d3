/** Failures that must fail the invocation so the event source mapping retries the batch. */
import { PipelineError } from "../../core/errors.ts";
export class LandRecordsError extends PipelineError {}

/** The event isn't an MSK event at all (a wiring mistake, not a bad record). */
export class InvalidEventError extends LandRecordsError {}

/** Writing an object to S3 failed; the whole batch is retried and overwrites the same keys. */
export class ObjectWriteError extends LandRecordsError {}
