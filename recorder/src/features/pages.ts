/**
 * Page views. The page tracker writes `sentiero/page@1` (`{ href, title }`) when a page or a
 * session starts, and when a single-page app changes the URL; features that keep per-page
 * state (scroll depth, viewed elements) hear about each change. The feature
 * (`sentiero/pages@1`) notices those URL changes: it wraps `history.pushState` and
 * `replaceState` and listens to `popstate` and `hashchange`. The wrappers call the page's
 * own function first and never throw; `stop()` takes them off again.
 */
import { CustomTag, type RecordedEvent } from '@sentiero/protocol';
import { RecorderErrorCode } from '../errors.ts';
import { customEvent } from './custom-event.ts';
import type { Feature } from './feature.ts';

/** When a page view begins or ends. */
export type PagePhase = 'leave' | 'enter';

/** Page views of the running recorder. */
export interface PageTracker {
  /** The URL of the current page view. */
  href(): string;
  /** A page (or a new session) starts: writes its page event, then tells the listeners it was entered. */
  start(): void;
  /** The URL may have changed: when it did, the listeners hear `leave`, the new page event is written, then they hear `enter`. */
  change(): void;
  /** Listens to page changes; returns the function that stops listening. */
  on(listener: (phase: PagePhase) => void): () => void;
}

/** The page tracker, writing through `add`. */
export function createPageTracker(add: (event: RecordedEvent) => void): PageTracker {
  const listeners = new Set<(phase: PagePhase) => void>();
  let current = '';
  const tell = (phase: PagePhase): void => {
    for (const fn of [...listeners]) fn(phase);
  };
  const write = (): void => {
    current = location.href;
    add(customEvent(CustomTag.PAGE, { href: current, title: document.title }));
  };
  return {
    href: () => current || location.href,
    start() {
      write();
      tell('enter');
    },
    change() {
      if (location.href === current) return;
      tell('leave');
      write();
      tell('enter');
    },
    on(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

type HistoryMethod = History['pushState'];

/** The feature: URL changes made by `history` and by navigation inside the page become page views. */
export function spaPagesFeature(pages: PageTracker): Feature {
  return {
    name: 'sentiero/pages@1',
    setup(host) {
      let active = true;
      let timer: ReturnType<typeof setTimeout> | undefined;
      // After the task that changed the URL, so the app has had its chance to set the new title (and a push then a replace make one view).
      const check = (): void => {
        if (!active || timer !== undefined) return;
        timer = setTimeout(() => {
          timer = undefined;
          try {
            if (active) pages.change();
          } catch (err) {
            host.report(RecorderErrorCode.INTERNAL, 'recording a page view failed', err);
          }
        }, 0);
      };
      const wrap = (original: HistoryMethod): HistoryMethod =>
        function (this: History, ...args: Parameters<HistoryMethod>) {
          const result = original.apply(this, args);
          try {
            check();
          } catch { /* the page's navigation already happened; a page view is not worth an exception */ }
          return result;
        };
      const own = (name: 'pushState' | 'replaceState'): { had: boolean; value: unknown } =>
        ({ had: Object.prototype.hasOwnProperty.call(history, name), value: (history as unknown as Record<string, unknown>)[name] });
      const saved = { pushState: own('pushState'), replaceState: own('replaceState') };
      const patched: Partial<Record<'pushState' | 'replaceState', HistoryMethod>> = {};
      for (const name of ['pushState', 'replaceState'] as const) {
        const original = history[name];
        if (typeof original !== 'function') continue;
        try {
          patched[name] = wrap(original);
          history[name] = patched[name];
        } catch (err) {
          host.report(RecorderErrorCode.INTERNAL, `wrapping history.${name} failed`, err);
        }
      }
      const onNavigate = (): void => check();
      window.addEventListener('popstate', onNavigate);
      window.addEventListener('hashchange', onNavigate);
      return () => {
        active = false;
        if (timer !== undefined) clearTimeout(timer);
        window.removeEventListener('popstate', onNavigate);
        window.removeEventListener('hashchange', onNavigate);
        for (const name of ['pushState', 'replaceState'] as const) {
          // Put the page's own back unless someone wrapped ours since (then ours stays, passing calls through).
          if (!patched[name] || history[name] !== patched[name]) continue;
          if (saved[name].had) history[name] = saved[name].value as HistoryMethod;
          else delete (history as unknown as Record<string, unknown>)[name];
        }
      };
    },
  };
}
