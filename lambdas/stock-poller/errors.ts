/** Failures of the stock poller: the quotes API can't be reached or answers nonsense. */
import { PipelineError } from "../../core/errors.ts";
export class StockPollerError extends PipelineError {}

export class QuotesApiError extends StockPollerError {}

/** The function's environment names no usable source. */
export class StockPollerConfigError extends StockPollerError {}
