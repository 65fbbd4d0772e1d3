/** Loading failures: the load is rolled back, so retrying the event is always safe. */
export class WarehouseError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class LoadError extends WarehouseError {}

export class SnowflakeConfigError extends WarehouseError {}
