/**
 * `localStorage` and `sessionStorage` behind a wrapper that never throws: a page may run
 * with storage disabled, full, or replaced by something broken, and recording must go on
 * (with state in memory only) rather than break the page.
 */
import { RecorderErrorCode, describe, type Report } from './errors.ts';

/** Keys the recorder keeps in the page's storage (all prefixed, so they never clash with the app's). */
export const StorageKey = {
  /** localStorage: `{ id, lastActivity }` of the visit's session, shared by its tabs. */
  SESSION: 'sentiero:session',
  /** localStorage: `"1"` while the visitor has opted out. */
  OPT_OUT: 'sentiero:optout',
  /** sessionStorage: this tab's `{ sessionId, windowId, lastActivity }`. */
  TAB: 'sentiero:tab',
  /** sessionStorage: set while a page of this tab is alive, to tell a duplicated tab from a reload. */
  ALIVE: 'sentiero:alive',
  /** sessionStorage: the stream's `{ sessionId, windowId, nextSeq, startedAt, gapThrough, limited? }`, saved when the page is hidden or goes away. */
  STREAM: 'sentiero:stream',
  /** sessionStorage: unacknowledged batches saved on `pagehide` for the next page of the tab. */
  QUEUE: 'sentiero:queue',
  /** localStorage: `{ sessionId, userId, traits? }` of the last `identify()`, written again by every window of that session. */
  IDENTIFY: 'sentiero:identify',
} as const;

/** A storage that never throws. */
export interface SafeStorage {
  /** The value, or `undefined` when missing or unreadable. */
  get(key: string): string | undefined;
  /** Stores a value; `false` when the storage refused it. */
  set(key: string, value: string): boolean;
  /** Removes a value. */
  remove(key: string): void;
  /** Parses a stored JSON object, `undefined` when missing or not an object. */
  getJson<T extends object>(key: string): Partial<T> | undefined;
  /** Stores a value as JSON; `false` when the storage refused it. */
  setJson(key: string, value: unknown): boolean;
}

/** Wraps `localStorage` or `sessionStorage`; the first failure of each kind is reported once. */
export function createSafeStorage(kind: 'localStorage' | 'sessionStorage', report: Report): SafeStorage {
  let reported = false;
  const fail = (err: unknown): void => {
    if (reported) return;
    reported = true;
    report(RecorderErrorCode.STORAGE, `${kind} is unavailable (${describe(err)}); recorder state is kept in memory only`, err);
  };
  const store = (): Storage => (window as unknown as Record<string, Storage>)[kind];
  const api: SafeStorage = {
    get(key) {
      try {
        const v = store().getItem(key);
        return typeof v === 'string' ? v : undefined;
      } catch (err) {
        fail(err);
        return undefined;
      }
    },
    set(key, value) {
      try {
        store().setItem(key, value);
        return true;
      } catch (err) {
        fail(err);
        return false;
      }
    },
    remove(key) {
      try {
        store().removeItem(key);
      } catch (err) {
        fail(err);
      }
    },
    getJson<T extends object>(key: string) {
      const raw = api.get(key);
      if (raw === undefined) return undefined;
      try {
        const v: unknown = JSON.parse(raw);
        return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Partial<T>) : undefined;
      } catch {
        return undefined;
      }
    },
    setJson(key, value) {
      let text: string;
      try {
        text = JSON.stringify(value);
      } catch {
        return false;
      }
      return api.set(key, text);
    },
  };
  return api;
}
