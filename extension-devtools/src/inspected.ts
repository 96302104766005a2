/**
 * Reading the inspected page: the expression the panel evaluates in it through
 * `devtools.inspectedWindow.eval`, and the check of what comes back. The page controls
 * `window.__SENTIERO__`, so its answer is untrusted and checked like a wire message.
 */
import { isValidId } from '@sentiero/protocol';

/** The recorder of the inspected page, as it exposes itself in `window.__SENTIERO__`. */
export interface PageRecorder {
  sessionId: string;
  windowId: string;
  /** The relay's base URL, e.g. `http://127.0.0.1:3000/sentiero`. */
  relay: string;
}

/** What the panel knows of the inspected page at one moment. */
export interface InspectedPage {
  /** The page's URL. */
  url: string;
  /** `document.readyState`: a recorder may still be starting while the page loads. */
  readyState: 'loading' | 'interactive' | 'complete';
  /** The page's recorder, while it records. */
  recorder: PageRecorder | null;
  /** Whether the recorder script is on the page (`window.Sentiero`), recording or not. */
  recorderLoaded: boolean;
}

/**
 * Evaluated in the inspected page. It only reads, returns plain JSON, and never throws
 * (a page may have made `__SENTIERO__` a throwing getter).
 */
export const INSPECT_EXPRESSION = `(() => {
  let s = null, loaded = false;
  try { s = window.__SENTIERO__ || null; } catch (e) { s = null; }
  try { loaded = typeof window.Sentiero === 'object' && window.Sentiero !== null; } catch (e) { loaded = false; }
  const r = s && typeof s === 'object' ? { sessionId: s.sessionId, windowId: s.windowId, relay: s.relay } : null;
  return { url: String(location.href), readyState: String(document.readyState), recorder: r, recorderLoaded: loaded };
})()`;

const MAX_URL = 4096;
const READY_STATES = new Set(['loading', 'interactive', 'complete']);

/** The relay URL if it is an absolute http(s) URL, without a trailing slash; else undefined. */
export function normalizeRelayUrl(value: unknown): string | undefined {
  if (typeof value !== 'string' || !value || value.length > MAX_URL) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (url.username || url.password) return undefined;
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** The origin of a relay URL (`http://127.0.0.1:3000`): tokens are kept per origin. */
export function relayOrigin(relayUrl: string): string {
  return new URL(relayUrl).origin;
}

/** Checks the result of `INSPECT_EXPRESSION`; undefined when it is not what the expression returns. */
export function readInspectedPage(value: unknown): InspectedPage | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.url !== 'string' || typeof v.readyState !== 'string' || !READY_STATES.has(v.readyState)) return undefined;
  const page: InspectedPage = {
    url: v.url.slice(0, MAX_URL),
    readyState: v.readyState as InspectedPage['readyState'],
    recorder: null,
    recorderLoaded: v.recorderLoaded === true,
  };
  const r = v.recorder;
  if (typeof r === 'object' && r !== null) {
    const rec = r as Record<string, unknown>;
    const relay = normalizeRelayUrl(rec.relay);
    if (isValidId(rec.sessionId) && isValidId(rec.windowId) && relay) {
      page.recorder = { sessionId: rec.sessionId, windowId: rec.windowId, relay };
    }
  }
  return page;
}

/** Whether two readings describe the same thing (so that an unchanged poll is not reported). */
export function samePage(a: InspectedPage | undefined, b: InspectedPage): boolean {
  if (!a) return false;
  return a.url === b.url && a.readyState === b.readyState && a.recorderLoaded === b.recorderLoaded
    && a.recorder?.sessionId === b.recorder?.sessionId && a.recorder?.windowId === b.recorder?.windowId
    && a.recorder?.relay === b.recorder?.relay;
}
