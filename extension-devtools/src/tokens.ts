/**
 * Viewer tokens, one per relay origin, kept in the extension's own `storage.local` (never in
 * a page, never synced). The panel asks for a token once per origin; the options page lists,
 * adds, changes and forgets them.
 */

/** The part of a `storage.StorageArea` the store uses. */
export interface StorageAreaLike {
  get(keys?: string | string[] | null): Promise<Record<string, unknown>>;
  set(items: Record<string, unknown>): Promise<void>;
  remove(keys: string | string[]): Promise<void>;
}

/** A change of one stored key, as `storage.onChanged` reports it. */
export interface StorageChangeLike { oldValue?: unknown; newValue?: unknown }

/** The part of `storage.onChanged` the store uses. */
export interface StorageChangedEvent {
  addListener(fn: (changes: Record<string, StorageChangeLike>, areaName: string) => void): void;
  removeListener(fn: (changes: Record<string, StorageChangeLike>, areaName: string) => void): void;
}

/** Tokens by relay origin. */
export interface TokenStore {
  /** The token for an origin (`http://127.0.0.1:3000`), if one was saved. */
  get(origin: string): Promise<string | undefined>;
  /** Saves the token for an origin (trimmed; an empty one forgets it). */
  set(origin: string, token: string): Promise<void>;
  /** Forgets the token of an origin. */
  remove(origin: string): Promise<void>;
  /** Every saved origin and its token. */
  list(): Promise<Record<string, string>>;
  /** Calls `fn` with the origin whose token changed (here or in another page of the extension); returns the function that stops. */
  onChanged(fn: (origin: string) => void): () => void;
}

const PREFIX = 'token:';
/** Longest token kept, in characters (the relay's tokens are 48). */
export const MAX_TOKEN_LENGTH = 512;

/** The canonical form of an origin that a person typed (`http://host:port`), or undefined. */
export function parseOrigin(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  return url.origin;
}

/** Creates the store over a storage area (`browser.storage.local`) and its change event. */
export function createTokenStore(area: StorageAreaLike, changed?: StorageChangedEvent, areaName = 'local'): TokenStore {
  return {
    async get(origin) {
      const key = PREFIX + origin;
      const v = (await area.get(key))[key];
      return typeof v === 'string' && v ? v : undefined;
    },
    async set(origin, token) {
      const t = token.trim();
      if (!t) return area.remove(PREFIX + origin);
      if (t.length > MAX_TOKEN_LENGTH) throw new RangeError(`a viewer token has at most ${MAX_TOKEN_LENGTH} characters`);
      await area.set({ [PREFIX + origin]: t });
    },
    async remove(origin) {
      await area.remove(PREFIX + origin);
    },
    async list() {
      const all = await area.get(null);
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(all)) if (k.startsWith(PREFIX) && typeof v === 'string') out[k.slice(PREFIX.length)] = v;
      return out;
    },
    onChanged(fn) {
      if (!changed) return () => undefined;
      const listener = (changes: Record<string, StorageChangeLike>, name: string) => {
        if (name !== areaName) return;
        for (const key of Object.keys(changes)) if (key.startsWith(PREFIX)) fn(key.slice(PREFIX.length));
      };
      changed.addListener(listener);
      return () => changed.removeListener(listener);
    },
  };
}
