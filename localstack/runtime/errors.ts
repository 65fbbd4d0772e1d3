/** The local runtime's own failures (what it was given can't run offline), apart from AWS-shaped ones. */
import { PipelineError } from "../../core/errors.ts";

export class RuntimeError extends PipelineError {}
