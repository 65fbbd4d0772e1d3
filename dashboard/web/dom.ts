/** Tiny DOM helpers: the page is plain TypeScript, no framework. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string> = {},
  ...children: Array<Node | string>
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  node.append(...children);
  return node;
}

/** A titled panel; `wide` spans the whole grid row. */
export function section(title: string, wide = false): HTMLElement {
  return el("section", wide ? { class: "wide" } : {}, el("h2", {}, title));
}

export interface Column<T> {
  readonly title: string;
  readonly value: (row: T) => string | number | null | undefined;
  readonly numeric?: boolean;
  readonly className?: (row: T) => string;
  /** A data-testid for the cell (figures the browser test reads). */
  readonly testId?: (row: T) => string;
}

/** Replaces the table in `host` with the rows; `testId` names each row (data-testid). */
export function renderTable<T>(
  host: HTMLElement,
  columns: readonly Column<T>[],
  rows: readonly T[],
  options: { testId?: (row: T) => string; onClick?: (row: T) => void; selected?: (row: T) => boolean } = {},
): void {
  const head = el("tr", {}, ...columns.map((c) => el("th", c.numeric ? { class: "n" } : {}, c.title)));
  const body = rows.map((row) => {
    const tr = el(
      "tr",
      options.testId ? { "data-testid": options.testId(row) } : {},
      ...columns.map((c) => {
        const classes = [c.numeric ? "n" : "", c.className?.(row) ?? ""].filter(Boolean).join(" ");
        const attributes: Record<string, string> = classes ? { class: classes } : {};
        if (c.testId) attributes["data-testid"] = c.testId(row);
        return el("td", attributes, format(c.value(row), c.numeric));
      }),
    );
    if (options.onClick) {
      tr.classList.add("clickable");
      tr.addEventListener("click", () => options.onClick?.(row));
    }
    if (options.selected?.(row)) tr.classList.add("selected");
    return tr;
  });
  host.replaceChildren(el("table", {}, el("thead", {}, head), el("tbody", {}, ...body)));
}

export function format(value: string | number | null | undefined, numeric = false): string {
  if (value === null || value === undefined) return "—";
  if (typeof value === "number" && numeric)
    return value.toLocaleString("en-US", { maximumFractionDigits: 2 });
  return String(value);
}

export function percent(share: number | null | undefined): string {
  return share === null || share === undefined ? "—" : `${(share * 100).toFixed(1)} %`;
}

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "—";
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  return s < 120 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

/** A value for a data-testid: letters, digits, '-', '_', '.'. */
export function testIdPart(value: string): string {
  return value.replace(/[^\w.-]+/g, "_");
}
