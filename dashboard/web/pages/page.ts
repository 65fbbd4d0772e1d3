/** What every page module provides: a title for the navigation and a render into the main element. */
export interface Page {
  readonly id: string;
  readonly title: string;
  /** Builds the page in `root`; returns the refresh the poller calls every interval. */
  render(root: HTMLElement): { refresh(): Promise<void> };
}
