/** Failures of file-to-topic. A bad row is never an error: it is quarantined. */
export class FileToTopicError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The object's key doesn't say which dataset/entity it is for, or has an unreadable format. */
export class UnroutableFileError extends FileToTopicError {}

/** The event is neither an S3 notification nor a continuation. */
export class InvalidEventError extends FileToTopicError {}
