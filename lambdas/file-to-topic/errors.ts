/** Failures of file-to-topic. A bad row is never an error: it is quarantined. */
import { PipelineError } from "../../core/errors.ts";
export class FileToTopicError extends PipelineError {}

/** The object's key doesn't say which dataset/entity it is for, or has an unreadable format. */
export class UnroutableFileError extends FileToTopicError {}

/** The event is neither an S3 notification nor a continuation. */
export class InvalidEventError extends FileToTopicError {}
