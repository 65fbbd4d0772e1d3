/** Failures of the stock poller: the quotes API can't be reached or answers nonsense. */
export class StockPollerError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class QuotesApiError extends StockPollerError {}

/** The function's environment names no usable source. */
export class StockPollerConfigError extends StockPollerError {}
