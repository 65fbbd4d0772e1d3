/** Failures of the topics custom resource; reported to CloudFormation as FAILED. */
import { PipelineError } from "../../core/errors.ts";
export class TopicsProvisionerError extends PipelineError {}

/** The custom resource event is not what CloudFormation sends. */
export class InvalidCustomResourceEvent extends TopicsProvisionerError {}

/** CloudFormation's response URL refused our answer. */
export class ResponseRejected extends TopicsProvisionerError {}
