/**
 * Session and window ids. The session is the visit: shared by its tabs through localStorage
 * (`{ id, lastActivity }`) and remembered per tab in sessionStorage, it rolls over after
 * `timeoutMs` without user activity. The window is the tab: its id lives in sessionStorage,
 * so it survives reloads and navigations, and a duplicated tab (whose sessionStorage the
 * browser cloned) is told apart by a "page alive" flag that is set on load and cleared on
 * `pagehide`: finding it already set on load means another live page owns the id.
 */
import { createId, isValidId } from '@sentiero/protocol';
import { StorageKey, type SafeStorage } from './storage.ts';

/** lastActivity is written to storage at most this often, in ms. */
export const ACTIVITY_WRITE_INTERVAL_MS = 5000;

/** Options of `createIdentity`. */
export interface IdentityOptions {
  timeoutMs: number;
  local: SafeStorage;
  session: SafeStorage;
  now: number;
}

/** This page's session and window. */
export interface Identity {
  /** The current session id (changes on rollover). */
  readonly sessionId: string;
  /** This tab's window id. */
  readonly windowId: string;
  /** Whether this page found another live page's window id (a duplicated or `window.open`ed tab) and took a new one. */
  readonly cloned: boolean;
  /** Records user activity at `now`; returns `true` when it rolled the session over first. */
  activity(now: number): boolean;
  /** Writes lastActivity now, skipping the throttle. */
  persist(): void;
  /** The page is going away (or into the back/forward cache): clears the alive flag. */
  hide(): void;
  /** The page is back from the back/forward cache: sets the alive flag again. */
  show(): void;
}

interface SharedRecord { id: string; lastActivity: number }
interface TabRecord { sessionId: string; windowId: string; lastActivity: number }

/** Picks this page's session and window ids and marks the page alive. */
export function createIdentity({ timeoutMs, local, session, now }: IdentityOptions): Identity {
  const fresh = (id: unknown, at: unknown, t: number): id is string =>
    isValidId(id) && typeof at === 'number' && Number.isFinite(at) && t - at < timeoutMs;

  const shared = local.getJson<SharedRecord>(StorageKey.SESSION);
  const tab = session.getJson<TabRecord>(StorageKey.TAB);

  let sessionId: string;
  if (tab && fresh(tab.sessionId, tab.lastActivity, now)) sessionId = tab.sessionId;
  else if (shared && fresh(shared.id, shared.lastActivity, now)) sessionId = shared.id;
  else sessionId = createId(now);

  const alive = session.get(StorageKey.ALIVE) === '1';
  const known = tab && isValidId(tab.windowId) ? tab.windowId : undefined;
  const cloned = Boolean(known && alive);
  const windowId = known && !alive ? known : createId(now);
  session.set(StorageKey.ALIVE, '1');

  let lastActivity = now;
  let lastWritten = -Infinity;
  const write = (t: number): void => {
    lastWritten = t;
    local.setJson(StorageKey.SESSION, { id: sessionId, lastActivity } satisfies SharedRecord);
    session.setJson(StorageKey.TAB, { sessionId, windowId, lastActivity } satisfies TabRecord);
  };
  write(now);

  return {
    get sessionId() { return sessionId; },
    windowId,
    cloned,
    activity(t) {
      let rolled = false;
      if (t - lastActivity >= timeoutMs) {
        // This tab was idle long enough; another tab of the visit may have kept it going.
        const s = local.getJson<SharedRecord>(StorageKey.SESSION);
        const keptAlive = s && s.id === sessionId && fresh(s.id, s.lastActivity, t);
        if (!keptAlive) {
          sessionId = s && fresh(s.id, s.lastActivity, t) ? s.id : createId(t);
          rolled = true;
        }
      }
      lastActivity = t;
      if (rolled || t - lastWritten >= ACTIVITY_WRITE_INTERVAL_MS) write(t);
      return rolled;
    },
    persist() {
      write(Date.now());
    },
    hide() {
      write(Date.now());
      session.remove(StorageKey.ALIVE);
    },
    show() {
      session.set(StorageKey.ALIVE, '1');
    },
  };
}
