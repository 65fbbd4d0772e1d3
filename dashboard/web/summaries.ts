/** What the pages say about their figures, as plain functions of the API's data (no DOM). */

export interface StateResult {
  readonly state: string;
  readonly name: string | null;
  readonly votes: number | null;
  readonly position: number | null;
}

/**
 * One row per state: its leader, or every candidate tied for first, marked as a tie (the
 * ranking gives tied candidates the same position).
 */
export function leadersByState(
  rows: readonly StateResult[],
): { state: string; leader: string; votes: number | null; tie: boolean }[] {
  const leaders = new Map<string, StateResult[]>();
  for (const row of rows) {
    if (row.position !== 1) continue;
    leaders.set(row.state, [...(leaders.get(row.state) ?? []), row]);
  }
  return [...leaders].map(([state, tied]) => ({
    state,
    leader: tied.map((r) => r.name ?? "—").join(" = "),
    votes: tied[0]?.votes ?? null,
    tie: tied.length > 1,
  }));
}

/** The span the windows cover ("10:05–11:05 UTC", with the day when it changes), or undefined. */
export function windowsCovered(
  windows: readonly { start: string; end: string }[],
): { span: string; count: number; minutes: number } | undefined {
  const first = windows[0];
  const last = windows.at(-1);
  if (!first || !last) return undefined;
  const day = (iso: string) => iso.slice(0, 10);
  const time = (iso: string) => iso.slice(11, 16);
  const from = `${day(first.start)} ${time(first.start)}`;
  const to = day(last.end) === day(first.start) ? time(last.end) : `${day(last.end)} ${time(last.end)}`;
  const minutes = Math.round((Date.parse(first.end) - Date.parse(first.start)) / 60_000);
  return { span: `${from}–${to} UTC`, count: windows.length, minutes };
}

/**
 * When the stage counts were read, how long ago, and whether a newer read is under way — so
 * a snapshot from before a pause is not taken for the current state.
 */
export function stagesStatus(
  stages: { readAt: string; reconciled: boolean; refreshing: boolean },
  now: number,
): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(stages.readAt)) / 1000));
  const ago = seconds < 90 ? `${seconds} s ago` : `${Math.round(seconds / 60)} min ago`;
  const verdict = stages.reconciled
    ? "every record accounted for"
    : "some records not accounted for at that read (in flight or missing)";
  const refreshing = stages.refreshing ? " Refreshing: a newer read is under way…" : "";
  return `Read at ${stages.readAt.slice(11, 19)} UTC (${ago}): ${verdict}.${refreshing}`;
}
