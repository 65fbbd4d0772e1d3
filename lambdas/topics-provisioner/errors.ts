/** Failures of the topics custom resource; reported to CloudFormation as FAILED. */
export class TopicsProvisionerError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The custom resource event is not what CloudFormation sends. */
export class InvalidCustomResourceEvent extends TopicsProvisionerError {}

/** CloudFormation's response URL refused our answer. */
export class ResponseRejected extends TopicsProvisionerError {}
