/** Loading failures: the load is rolled back, so retrying the event is always safe. */
import { PipelineError } from "../errors.ts";
export class WarehouseError extends PipelineError {}

export class LoadError extends WarehouseError {}

export class SnowflakeConfigError extends WarehouseError {}
