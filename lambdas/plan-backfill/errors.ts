/** A backfill request the pipeline cannot run; fails the execution with the reason. */
export class InvalidBackfillRange extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}
