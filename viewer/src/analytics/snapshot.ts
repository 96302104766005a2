/**
 * The page a heatmap is drawn over: one session's replay of a URL, stopped at the moment the URL
 * was shown (its full snapshot, or an in-app navigation to it) and laid out at the page's full
 * size, so that page coordinates land where they were clicked. It is rrweb's `Replayer` in its
 * sandboxed iframe, paused; the recorded page never runs a script.
 */
import { Replayer } from '@rrweb/replay';
import type { eventWithTime } from '@rrweb/types';
import { type Client, CustomTag, EventType, type RecordedEvent } from '@sentiero/protocol';
import { IncrementalSource } from '../rrweb-types.ts';

/** Events after the moment chosen that are still applied (a view's first render, a click's reaction), unless the page was left before. */
const SETTLE_MS = 1500;

/** Whether two URLs are the same page as analytics counts pages: origin and path, without query, hash or a trailing slash. */
export function samePage(a: string, b: string): boolean {
  const strip = (u: string) => u.replace(/[?#].*$/, '').replace(/\/+$/, '');
  return strip(a) === strip(b);
}

/** What to replay: a window's events up to the moment `url` was on screen. */
export interface PageMoment {
  windowId: string;
  events: RecordedEvent[];
  /** The moment (ms since epoch) to stop at. */
  at: number;
}

interface WindowScan { events: RecordedEvent[]; href: string; snapshot: boolean; at?: number; lastClick?: number }

const hrefOf = (e: RecordedEvent): string | undefined => {
  const d = e.data as { href?: unknown; tag?: unknown; payload?: { href?: unknown } } | undefined;
  if (e.type === EventType.Meta && typeof d?.href === 'string') return d.href;
  if (e.type === EventType.Custom && d?.tag === CustomTag.PAGE && typeof d.payload?.href === 'string') return d.payload.href;
  return undefined;
};

const isClick = (e: RecordedEvent): boolean => e.type === EventType.Custom && (e.data as { tag?: unknown } | undefined)?.tag === CustomTag.CLICK;

/** Where to stop: the session's last click on the page (the layout its clicks saw, after what the page added on the way), else when it was shown. */
const momentOf = (windowId: string, w: WindowScan): PageMoment => ({ windowId, events: w.events, at: Math.max(w.at!, w.lastClick ?? 0) });

/**
 * Reads a session's stored events until one of its windows showed `url` and then left it (or
 * the session ends); undefined when none showed it.
 */
export async function findPageMoment(client: Client, sessionId: string, url: string): Promise<PageMoment | undefined> {
  const windows = new Map<string, WindowScan>();
  for await (const line of client.getEvents(sessionId)) {
    let w = windows.get(line.windowId);
    if (!w) windows.set(line.windowId, (w = { events: [], href: '', snapshot: false }));
    for (const e of line.events as RecordedEvent[]) {
      const href = hrefOf(e);
      if (w.at !== undefined) {
        // Once shown, the page is read up to where it was left (that event not included, so the replay cannot go past it).
        if (href !== undefined && !samePage(href, url)) return momentOf(line.windowId, w);
        if (isClick(e)) w.lastClick = e.timestamp;
      }
      w.events.push(e);
      if (href !== undefined) w.href = href;
      if (e.type === EventType.FullSnapshot) w.snapshot = true;
      // A full snapshot of the page (after its Meta), or an in-app navigation to it after one, marks the moment.
      if (w.at === undefined && w.snapshot && samePage(w.href, url) && (e.type === EventType.FullSnapshot || (href !== undefined && e.type === EventType.Custom))) {
        w.at = e.timestamp;
      }
    }
  }
  for (const [windowId, w] of windows) if (w.at !== undefined) return momentOf(windowId, w);
  return undefined;
}

/** A paused replay at a page's full size. */
export interface PageSnapshot {
  /** The replayed document, once rebuilt. */
  document(): Document | null;
  destroy(): void;
}

/**
 * Replays `moment` into `host` (an empty element `width` × `height` CSS pixels), paused at its
 * moment. Every Meta event is given the page's full size, and viewport resizes are dropped, so
 * that the replayed iframe is as large as the page and nothing inside it scrolls.
 */
export function renderPageSnapshot(host: HTMLElement, moment: PageMoment, size: { width: number; height: number }): PageSnapshot {
  const events = moment.events
    .filter((e) => !(e.type === EventType.IncrementalSnapshot && (e.data as { source?: number }).source === IncrementalSource.ViewportResize))
    .map((e) => (e.type === EventType.Meta ? { ...e, data: { ...(e.data as object), width: size.width, height: size.height } } : e));
  const root = document.createElement('div');
  host.append(root);
  const replayer = new Replayer(events as unknown as eventWithTime[], {
    root,
    showWarning: false,
    mouseTail: false,
    triggerFocus: false,
    UNSAFE_replayCanvas: false,
    pauseAnimation: true,
    skipInactive: false,
  });
  const start = events[0]?.timestamp ?? moment.at;
  replayer.pause(Math.max(0, moment.at - start) + SETTLE_MS);
  const mouse = root.querySelector<HTMLElement>('.replayer-mouse');
  if (mouse) mouse.style.display = 'none';
  return {
    document: () => replayer.iframe.contentDocument,
    destroy: () => {
      try {
        replayer.destroy();
      } catch { /* already torn down */ }
      root.remove();
    },
  };
}

/** The full size of the page at `moment`: replayed once at its recorded viewport, then measured (scroll width and height). */
export function measurePage(host: HTMLElement, moment: PageMoment): { width: number; height: number } {
  const meta = [...moment.events].reverse().find((e) => e.type === EventType.Meta && e.timestamp <= moment.at);
  const viewport = meta?.data as { width?: number; height?: number } | undefined;
  const width = viewport?.width || 1280;
  const snap = renderPageSnapshot(host, moment, { width, height: viewport?.height || 800 });
  try {
    const doc = snap.document()?.documentElement;
    return { width, height: Math.max(doc?.scrollHeight ?? 0, viewport?.height || 800) };
  } finally {
    snap.destroy();
  }
}
