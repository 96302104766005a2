/** Helpers of the viewer's browser tests: open the dashboard, store synthetic sessions through the real relay, read the replay. */
import type { BrowserContext, Page } from 'playwright-core';
import { waitFor } from '../../test/helpers/net.ts';
import type { TestRelay } from '../../test/helpers/relay.ts';
import { type Ev, batches } from './synthetic.ts';

/** What the session view says about itself in its `data-*` attributes. */
export interface ViewState {
  mode: string;
  state: string;
  time: number;
  window: string;
  speed: string;
  skip: string;
  recording: string;
  lag: string;
  frame: string;
  /** 'true' while a moment asked for (a deep link) is not shown yet. */
  seeking: string;
  /** 'true' while stored events are still streaming in. */
  loading: string;
  /** 'true' while playing but at the last event loaded so far. */
  waiting: string;
}

/** Opens the dashboard with the token already given (the `#token=` link `npm start` prints), at `route`. */
export async function openDashboard(context: BrowserContext, t: TestRelay, route = '#/sessions'): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${t.base}/#token=${encodeURIComponent(t.relay.token)}`);
  await page.waitForSelector('.sv-app');
  if (route !== '#/sessions') {
    await page.evaluate((r) => { location.hash = r; }, route);
  }
  return page;
}

/** The session view's state. */
export async function viewState(page: Page): Promise<ViewState | undefined> {
  return page.evaluate(() => {
    const el = document.querySelector<HTMLElement>('.sv-session');
    if (!el) return undefined;
    const d = el.dataset;
    return {
      mode: d.mode ?? '', state: d.state ?? '', time: Number(d.time ?? 0), window: d.window ?? '', speed: d.speed ?? '', skip: d.skip ?? '',
      recording: d.recording ?? '', lag: d.lag ?? '', frame: d.frame ?? '', seeking: d.seeking ?? '', loading: d.loading ?? '', waiting: d.waiting ?? '',
    };
  });
}

/** Waits until the session view's state satisfies `check`. */
export async function waitForView(page: Page, check: (s: ViewState) => boolean, what: string, timeoutMs = 30_000): Promise<ViewState> {
  let last: ViewState | undefined;
  try {
    return await waitFor(async () => {
      const s = await viewState(page);
      last = s;
      return s && check(s) ? s : undefined;
    }, { what, timeoutMs, intervalMs: 50 });
  } catch (err) {
    // Say where the view was when the wait gave up.
    if (err instanceof Error) err.message += `; the view's last state: ${JSON.stringify(last ?? null)}`;
    throw err;
  }
}

/** The text of `selector` in the replayed document (rrweb's sandboxed iframe in the dashboard). */
export function replayedText(page: Page, selector: string): Promise<string | null> {
  return page.evaluate((sel) => {
    const doc = document.querySelector<HTMLIFrameElement>('.sv-replay iframe')?.contentDocument;
    return doc?.querySelector(sel)?.textContent ?? null;
  }, selector);
}

/** Stores a synthetic session through the relay's real HTTP ingest, then waits until it is no longer live. */
export async function storeSession(t: TestRelay, sessionId: string, windowId: string, events: Ev[], userAgent = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'): Promise<void> {
  const href = events.find((e) => e.type === 4)?.data?.href;
  const meta = { url: typeof href === 'string' ? href : 'http://synthetic.test/', userAgent, startedAt: events[0]!.timestamp, viewport: { width: 1024, height: 640 } };
  let seq = 0;
  for (const b of batches(events)) {
    const res = await fetch(`${t.base}/ingest`, { method: 'POST', body: JSON.stringify({ sessionId, windowId, seq: ++seq, events: b, meta }) });
    if (res.status !== 200) throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
  }
  await waitFor(async () => {
    const res = await t.api(`/api/sessions/${sessionId}`);
    return res.status === 200 && !((await res.json()) as { live: boolean }).live;
  }, { what: `session ${sessionId} to end`, timeoutMs: 30_000 });
}

/** Waits until a session recorded by a real page is stored and no longer live. */
export function waitEnded(t: TestRelay, sessionId: string): Promise<unknown> {
  return waitFor(async () => {
    const res = await t.api(`/api/sessions/${sessionId}`);
    return res.status === 200 && !((await res.json()) as { live: boolean }).live;
  }, { what: 'the session to end', timeoutMs: 40_000 });
}
