/**
 * The project's one error base class: `name` is set here, once, to the class's own name, so
 * every subclass reports itself (`LoadError: …`) and keeps its `cause`. Callers tell a bad
 * record from a broken connection by type, never by parsing messages.
 */
export class PipelineError extends Error {
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}
