/**
 * The dashboard's entry: a navigation bar, one page at a time (chosen by the URL hash), and a
 * poller refreshing the page every POLL_MS — polling works the same through CloudFront and
 * Lambda as through the local server.
 */
import { el } from "./dom.ts";
import { electionsPage } from "./pages/elections.ts";
import { livePage } from "./pages/live.ts";
import type { Page } from "./pages/page.ts";
import { pipelinePage } from "./pages/pipeline.ts";
import { salesPage } from "./pages/sales.ts";
import { stocksPage } from "./pages/stocks.ts";

const POLL_MS = 2000;
const pages: readonly Page[] = [livePage, electionsPage, salesPage, stocksPage, pipelinePage];

const nav = document.getElementById("nav") as HTMLElement;
const main = document.getElementById("page") as HTMLElement;
const status = document.getElementById("status") as HTMLElement;
let timer: ReturnType<typeof setTimeout> | undefined;
let generation = 0;

function show(): void {
  const id = location.hash.replace(/^#\/?/, "") || pages[0]?.id;
  const page = pages.find((p) => p.id === id) ?? (pages[0] as Page);
  nav.replaceChildren(
    ...pages.map((p) => el("a", { href: `#/${p.id}`, class: p === page ? "active" : "" }, p.title)),
  );
  document.title = `${page.title} · Pipeline dashboard`;
  main.replaceChildren();
  main.dataset.page = page.id;
  clearTimeout(timer);
  const current = ++generation;
  const { refresh } = page.render(main);
  const poll = async () => {
    try {
      await refresh();
      if (current !== generation) return;
      status.textContent = `updated ${new Date().toLocaleTimeString()}`;
      status.className = "";
      main.dataset.loaded = "true";
    } catch (error) {
      console.error(error);
      if (current !== generation) return;
      status.textContent = (error as Error).message;
      status.className = "error";
    }
    if (current === generation) timer = setTimeout(poll, POLL_MS);
  };
  void poll();
}

window.addEventListener("hashchange", show);
show();
