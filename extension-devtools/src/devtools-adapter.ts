/**
 * The panel's channel to DevTools: it reads the inspected page through
 * `devtools.inspectedWindow.eval` (when asked, after each navigation, and on a light poll
 * that notices a session rollover or a recorder that starts late), hears navigations and
 * theme changes, opens source locations with `devtools.panels.openResource`, and draws the
 * analytics overlay over the page (overlay.ts).
 */
import { INSPECT_EXPRESSION, type InspectedPage, readInspectedPage, samePage } from './inspected.ts';
import { overlayExpression } from './overlay.ts';
import type { DevToolsAdapter, DevToolsTheme, DevToolsToPanel, PanelToDevTools, SourceLocation } from './messages.ts';

/** A WebExtension event, as far as the adapter uses it. */
export interface EventLike<F> {
  addListener(fn: F): void;
  removeListener(fn: F): void;
}

/** Why `inspectedWindow.eval` failed (Chromium and Firefox both give this shape). */
export interface EvalExceptionInfo {
  isError?: boolean;
  isException?: boolean;
  code?: string;
  description?: string;
  value?: unknown;
}

/** The part of `browser.devtools` the adapter uses (narrow, so that tests can give a fake). */
export interface DevToolsApi {
  inspectedWindow: {
    eval(expression: string): Promise<[unknown, EvalExceptionInfo | undefined] | unknown>;
  };
  network: { onNavigated: EventLike<(url: string) => void> };
  panels: {
    themeName?: string;
    onThemeChanged?: EventLike<(themeName: string) => void>;
    /**
     * Chromium only: `lineNumber` and `columnNumber` are 0-based; the callback gets DevTools'
     * status (`{ isError: true, code: 'E_NOTFOUND' }` for a URL it does not know).
     */
    openResource?(url: string, lineNumber: number, columnNumber: number, callback: (status?: unknown) => void): unknown;
  };
}

/** Options of `createDevToolsAdapter`. */
export interface DevToolsAdapterOptions {
  /** How often the page is read while nothing else asks (ms, default 1000). */
  pollMs?: number;
  /** Delay between a navigation and the next reading (ms, default 150). */
  afterNavigationMs?: number;
}

/** The theme the viewer should use for DevTools' theme name (`default`/`light`/`dark`). */
export function themeOf(themeName: string | undefined): DevToolsTheme {
  return themeName === 'dark' ? 'dark' : 'light';
}

/** Creates the adapter; it starts reading the page when the first listener is added and stops when the last one leaves. */
export function createDevToolsAdapter(api: DevToolsApi, options: DevToolsAdapterOptions = {}): DevToolsAdapter {
  const pollMs = options.pollMs ?? 1000;
  const afterNavigationMs = options.afterNavigationMs ?? 150;
  const listeners = new Set<(m: DevToolsToPanel) => void>();
  let last: InspectedPage | undefined;
  let lastUnreadable: string | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let reading = false;
  /** Failed readings in a row: one alone is usually a navigation in progress, and is not reported. */
  let failures = 0;
  let again = false;
  let force = false;

  const emit = (m: DevToolsToPanel) => {
    for (const fn of [...listeners]) {
      try {
        fn(m);
      } catch (err) {
        queueMicrotask(() => { throw err; });
      }
    }
  };

  const schedule = (ms: number) => {
    if (timer) clearTimeout(timer);
    timer = listeners.size ? setTimeout(() => void read(), ms) : undefined;
  };

  async function read(): Promise<void> {
    if (reading) {
      again = true;
      return;
    }
    reading = true;
    const forced = force;
    force = false;
    try {
      const raw = await api.inspectedWindow.eval(INSPECT_EXPRESSION);
      const [value, info] = Array.isArray(raw) ? (raw as [unknown, EvalExceptionInfo | undefined]) : [raw, undefined];
      const page = info && (info.isError || info.isException) ? undefined : readInspectedPage(value);
      if (!page) failed(info?.description || info?.code || 'DevTools cannot read this page', forced);
      else {
        failures = 0;
        lastUnreadable = undefined;
        if (forced || !samePage(last, page)) emit({ t: 'page', page });
        last = page;
      }
    } catch (err) {
      failed(err instanceof Error ? err.message : String(err), forced);
    } finally {
      reading = false;
      if (again) {
        again = false;
        void read();
      } else {
        schedule(failures === 1 ? Math.min(pollMs, 250) : pollMs);
      }
    }
  }

  function failed(message: string, forced: boolean): void {
    if (++failures < 2) {
      force ||= forced;
      return;
    }
    last = undefined;
    if (forced || message !== lastUnreadable) emit({ t: 'page-unreadable', message });
    lastUnreadable = message;
  }

  const onNavigated = (url: string) => {
    emit({ t: 'navigated', url });
    force = true;
    schedule(afterNavigationMs);
  };
  const onTheme = (name: string) => emit({ t: 'theme', theme: themeOf(name) });

  const start = () => {
    api.network.onNavigated.addListener(onNavigated);
    api.panels.onThemeChanged?.addListener(onTheme);
    queueMicrotask(() => {
      emit({ t: 'theme', theme: themeOf(api.panels.themeName) });
      force = true;
      void read();
    });
  };
  const stop = () => {
    api.network.onNavigated.removeListener(onNavigated);
    api.panels.onThemeChanged?.removeListener(onTheme);
    if (timer) clearTimeout(timer);
    timer = undefined;
    last = undefined;
    failures = 0;
  };

  return {
    canOpenResource: typeof api.panels.openResource === 'function',
    addListener(fn) {
      listeners.add(fn);
      if (listeners.size === 1) start();
      return () => {
        if (listeners.delete(fn) && !listeners.size) stop();
      };
    },
    postMessage(message: PanelToDevTools) {
      if (message.t === 'refresh') {
        force = true;
        void read();
      } else if (message.t === 'overlay') {
        // A page that is gone or unreadable just has no overlay: nothing to report.
        void Promise.resolve(api.inspectedWindow.eval(overlayExpression(message.data))).catch(() => undefined);
      } else if (message.t === 'open-resource' && api.panels.openResource) {
        const { t: _t, fallbacks = [], ...first } = message;
        openFirstKnown(api.panels.openResource.bind(api.panels), [first, ...fallbacks]);
      }
    },
  };
}

const isErrorStatus = (status: unknown): boolean => typeof status === 'object' && status !== null && (status as { isError?: unknown }).isError === true;

/** Opens the first of `locations` DevTools knows: each one it answers "not found" for gives way to the next. */
function openFirstKnown(open: NonNullable<DevToolsApi['panels']['openResource']>, locations: readonly SourceLocation[]): void {
  const [loc, ...rest] = locations;
  if (!loc) return;
  let settled = false;
  const next = (failed: boolean) => {
    if (settled) return;
    settled = true;
    if (failed) openFirstKnown(open, rest);
  };
  const line = Math.max(0, Math.floor(loc.line) - 1);
  const column = loc.column === undefined ? 0 : Math.max(0, Math.floor(loc.column) - 1);
  try {
    const r = open(loc.url, line, column, (status) => next(isErrorStatus(status)));
    if (r && typeof (r as Promise<unknown>).then === 'function') (r as Promise<unknown>).then((status) => next(isErrorStatus(status)), () => next(true));
  } catch {
    next(true);
  }
}
