/**
 * Where `services up` says what takes long — building a Python venv, resolving the Kafka jars,
 * starting a service — so a first run never sits silent for minutes. Nothing by default; `up`
 * takes a sink for its duration (the CLI prints the lines).
 */
export type ProgressSink = (line: string) => void;

let sink: ProgressSink = () => undefined;

export function reportProgress(line: string): void {
  sink(line);
}

/** Runs `fn` with `to` receiving the progress lines (the previous sink back afterwards). */
export async function withProgress<T>(to: ProgressSink | undefined, fn: () => Promise<T>): Promise<T> {
  if (!to) return fn();
  const previous = sink;
  sink = to;
  try {
    return await fn();
  } finally {
    sink = previous;
  }
}

export const secondsSince = (started: number) => `${((Date.now() - started) / 1000).toFixed(1)} s`;
