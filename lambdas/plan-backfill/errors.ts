/** A backfill request the pipeline cannot run; fails the execution with the reason. */
import { PipelineError } from "../../core/errors.ts";
export class InvalidBackfillRange extends PipelineError {}
