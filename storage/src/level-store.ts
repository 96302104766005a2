/**
 * `LevelStore`: the embedded default, on LevelDB through `level`. The layout (README.md,
 * "On disk") is five sublevels with sortable string keys; every append is one atomic batch.
 * Active sessions are cached (record and window states) so that the hot path does not read
 * before it writes; all changes to one session are serialized, so concurrent appends from
 * several windows never lose an update.
 */
import { Level } from 'level';
import { Compression, decodeBatch, encodeBatch } from './codec.ts';
import { StoreError, StoreErrorCode } from './errors.ts';
import { KeyedLock } from './keyed-lock.ts';
import { PageBuilder, hex, idOfListKey, listKey, lowerBound } from './list.ts';
import { mergeByTime } from './merge.ts';
import { EMPTY_WINDOW, addSeq, applyBatch, hasSeq, parseWindowState } from './session-record.ts';
import type { WindowState } from './session-record.ts';
import { Store } from './store.ts';
import type {
  AppendResult, BatchInput, ListQuery, ReadQuery, SessionPage, SessionRecord, StoredBatch, StoreSupports,
} from './types.ts';

/** The on-disk format this version writes and reads (kept under `meta` / `format`). */
export const LEVEL_FORMAT_VERSION = 1;

/** Options of `LevelStore`. */
export interface LevelStoreOptions {
  /** The LevelDB folder (created when missing). */
  location: string;
  /** How batches are compressed when written; default `'brotli'`. Values written with any codec stay readable. */
  compression?: Compression;
  /** How many active sessions are cached for the append path; default 1000. */
  sessionCacheSize?: number;
}

/** The defaults of `LevelStoreOptions`. */
export const LEVEL_STORE_DEFAULTS = {
  compression: Compression.BROTLI,
  sessionCacheSize: 1000,
} as const satisfies Omit<Required<LevelStoreOptions>, 'location'>;

function createLayout(location: string) {
  const db = new Level<string, string>(location, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
  return {
    db,
    meta: db.sublevel<string, string>('meta', { valueEncoding: 'utf8' }),
    sessions: db.sublevel<string, string>('sessions', { valueEncoding: 'utf8' }),
    windows: db.sublevel<string, string>('windows', { valueEncoding: 'utf8' }),
    batches: db.sublevel<string, Uint8Array>('batches', { valueEncoding: 'view' }),
    byStart: db.sublevel<string, string>('by-start', { valueEncoding: 'utf8' }),
  };
}

type Layout = ReturnType<typeof createLayout>;

interface CachedSession {
  record: SessionRecord;
  windows: Map<string, WindowState>;
}

/** Ids never contain `!` or `"`, so `${id}!` … `${id}"` holds exactly the keys under `id`. */
const rangeUnder = (prefix: string) => ({ gt: `${prefix}!`, lt: `${prefix}"` });
const windowKey = (sessionId: string, windowId: string): string => `${sessionId}!${windowId}`;
const batchKey = (sessionId: string, windowId: string, seq: number): string => `${sessionId}!${windowId}!${hex(seq)}`;

function corrupt(what: string, cause?: unknown): StoreError {
  return new StoreError(StoreErrorCode.CORRUPT, `${what} cannot be decoded`, cause === undefined ? undefined : { cause });
}

function parseRecord(text: string, id: string): SessionRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw corrupt(`the session record ${id}`, err);
  }
  const r = value as Partial<SessionRecord> | null;
  if (typeof r !== 'object' || r === null || r.id !== id || typeof r.startedAt !== 'number' || !Array.isArray(r.windows)
    || !Array.isArray(r.pages) || typeof r.meta !== 'object' || r.meta === null) {
    throw corrupt(`the session record ${id}`);
  }
  return r as SessionRecord;
}

function parseWindow(text: string, key: string): WindowState {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw corrupt(`the window state ${key}`, err);
  }
  const state = parseWindowState(value);
  if (!state) throw corrupt(`the window state ${key}`);
  return state;
}

/** A `Store` on LevelDB (`supports.persistence` is true). */
export class LevelStore extends Store {
  /** LevelDB keeps everything across close and reopen. */
  readonly supports: StoreSupports = Object.freeze({ persistence: true });
  /** The LevelDB folder. */
  readonly location: string;
  /** The compression of newly written batches. */
  readonly compression: Compression;

  readonly #cacheSize: number;
  readonly #cache = new Map<string, CachedSession>();
  readonly #locks = new KeyedLock();
  #layout: Layout | undefined;

  /** Checks the options (a wrong one throws a `TypeError` that names it); the folder is opened by `open()`. */
  constructor(options: LevelStoreOptions) {
    super();
    if (typeof options !== 'object' || options === null) throw new TypeError('LevelStore: options must be an object with a `location`');
    if (typeof options.location !== 'string' || options.location === '') throw new TypeError('LevelStore: options.location must be a non-empty path');
    const compression = options.compression ?? LEVEL_STORE_DEFAULTS.compression;
    if (!Object.values(Compression).includes(compression)) {
      throw new TypeError(`LevelStore: options.compression must be one of ${Object.values(Compression).map((c) => `'${c}'`).join(', ')}`);
    }
    const cacheSize = options.sessionCacheSize ?? LEVEL_STORE_DEFAULTS.sessionCacheSize;
    if (!Number.isSafeInteger(cacheSize) || cacheSize < 1) throw new TypeError('LevelStore: options.sessionCacheSize must be an integer ≥ 1');
    this.location = options.location;
    this.compression = compression;
    this.#cacheSize = cacheSize;
  }

  protected override async _open(): Promise<void> {
    const layout = createLayout(this.location);
    try {
      await layout.db.open();
    } catch (err) {
      const cause = (err as { cause?: unknown }).cause ?? err;
      throw new StoreError(StoreErrorCode.OPEN_FAILED, `LevelDB at ${this.location} could not be opened: ${(cause as Error).message ?? String(cause)}`, { cause: err });
    }
    try {
      const format = await layout.meta.get('format');
      if (format === undefined) await layout.meta.put('format', String(LEVEL_FORMAT_VERSION));
      else if (format !== String(LEVEL_FORMAT_VERSION)) {
        throw new StoreError(StoreErrorCode.OPEN_FAILED, `LevelDB at ${this.location} holds on-disk format ${format.slice(0, 20)}; this version reads format ${LEVEL_FORMAT_VERSION}`);
      }
    } catch (err) {
      await layout.db.close();
      throw err;
    }
    this.#layout = layout;
  }

  protected override async _close(): Promise<void> {
    const layout = this.#layout;
    this.#layout = undefined;
    this.#cache.clear();
    await layout?.db.close();
  }

  #db(): Layout {
    if (!this.#layout) throw new StoreError(StoreErrorCode.NOT_OPEN, 'the store is not open');
    return this.#layout;
  }

  #remember(sessionId: string, session: CachedSession): void {
    this.#cache.delete(sessionId);
    this.#cache.set(sessionId, session);
    if (this.#cache.size > this.#cacheSize) this.#cache.delete(this.#cache.keys().next().value as string);
  }

  async #readRecord(layout: Layout, id: string): Promise<SessionRecord | undefined> {
    const cached = this.#cache.get(id);
    if (cached) return cached.record;
    const text = await layout.sessions.get(id);
    return text === undefined ? undefined : parseRecord(text, id);
  }

  /** The session as cached, loading it on a miss. Only called under the session's lock, so a load never overwrites a newer write. */
  async #load(layout: Layout, id: string): Promise<CachedSession | undefined> {
    const cached = this.#cache.get(id);
    if (cached) return cached;
    const text = await layout.sessions.get(id);
    if (text === undefined) return undefined;
    const record = parseRecord(text, id);
    const keys = record.windows.map((w) => windowKey(id, w));
    const values = await layout.windows.getMany(keys);
    const windows = new Map<string, WindowState>();
    record.windows.forEach((w, i) => {
      const v = values[i];
      windows.set(w, v === undefined ? EMPTY_WINDOW : parseWindow(v, keys[i]));
    });
    const session = { record, windows };
    this.#remember(id, session);
    return session;
  }

  protected override async _append(batch: BatchInput): Promise<AppendResult> {
    const { sessionId, windowId, seq } = batch;
    const early = this.#cache.get(sessionId)?.windows.get(windowId);
    if (early && hasSeq(early, seq)) return { stored: false, ackedSeq: early.acked };
    const value = await encodeBatch(batch, this.compression);
    return this.#locks.run(sessionId, async () => {
      const layout = this.#db();
      const session = await this.#load(layout, sessionId);
      const state = session?.windows.get(windowId) ?? EMPTY_WINDOW;
      if (hasSeq(state, seq)) return { stored: false, ackedSeq: state.acked };
      const record = applyBatch(session?.record, batch);
      const next = addSeq(state, seq);
      const oldIndex = session ? listKey(session.record.startedAt, sessionId) : undefined;
      const newIndex = listKey(record.startedAt, sessionId);
      const write = layout.db.batch();
      write.put(batchKey(sessionId, windowId, seq), value, { sublevel: layout.batches });
      write.put(sessionId, JSON.stringify(record), { sublevel: layout.sessions });
      write.put(windowKey(sessionId, windowId), JSON.stringify(next), { sublevel: layout.windows });
      if (oldIndex !== newIndex) {
        if (oldIndex !== undefined) write.del(oldIndex, { sublevel: layout.byStart });
        write.put(newIndex, '', { sublevel: layout.byStart });
      }
      await write.write();
      const windows = new Map(session?.windows);
      windows.set(windowId, next);
      this.#remember(sessionId, { record, windows });
      return { stored: true, ackedSeq: next.acked };
    });
  }

  protected override async _ackedSeq(sessionId: string, windowId: string): Promise<number> {
    const cached = this.#cache.get(sessionId);
    if (cached) return cached.windows.get(windowId)?.acked ?? 0;
    const key = windowKey(sessionId, windowId);
    const text = await this.#db().windows.get(key);
    return text === undefined ? 0 : parseWindow(text, key).acked;
  }

  protected override async _getSession(id: string): Promise<SessionRecord | undefined> {
    const record = await this.#readRecord(this.#db(), id);
    return record && structuredClone(record);
  }

  protected override async _listSessions(query: ListQuery): Promise<SessionPage> {
    const layout = this.#db();
    const bound = lowerBound(query);
    const range = bound === undefined ? {} : bound.inclusive ? { gte: bound.key } : { gt: bound.key };
    const keys = layout.byStart.keys(range);
    const page = new PageBuilder(query);
    try {
      while (!page.done) {
        const chunk = await keys.nextv(Math.min(Math.max(query.limit + 1, 16), 256));
        if (chunk.length === 0) break;
        const ids = chunk.map(idOfListKey);
        const texts = await layout.sessions.getMany(ids);
        for (let i = 0; i < chunk.length; i++) {
          const text = texts[i];
          if (text !== undefined && !page.offer(chunk[i], parseRecord(text, ids[i]))) break;
        }
      }
    } finally {
      await keys.close();
    }
    return page.page();
  }

  protected override async *_readBatches(sessionId: string, query: ReadQuery): AsyncIterable<StoredBatch> {
    const layout = this.#db();
    const record = await this.#readRecord(layout, sessionId);
    if (!record) return;
    const windowIds = record.windows.filter((w) => query.windowId === undefined || w === query.windowId);
    yield* mergeByTime(windowIds.map((w) => readWindow(layout, sessionId, w, query.after.get(w) ?? 0)));
  }

  protected override async _deleteSession(id: string): Promise<boolean> {
    return this.#locks.run(id, async () => {
      const layout = this.#db();
      const record = await this.#readRecord(layout, id);
      if (!record) return false;
      const write = layout.db.batch();
      write.del(id, { sublevel: layout.sessions });
      write.del(listKey(record.startedAt, id), { sublevel: layout.byStart });
      for await (const key of layout.windows.keys(rangeUnder(id))) write.del(key, { sublevel: layout.windows });
      for await (const key of layout.batches.keys(rangeUnder(id))) write.del(key, { sublevel: layout.batches });
      await write.write();
      this.#cache.delete(id);
      return true;
    });
  }
}

/** One window's batches in seq order, decoded one at a time as the consumer pulls. */
async function* readWindow(layout: Layout, sessionId: string, windowId: string, after: number): AsyncGenerator<StoredBatch> {
  const prefix = windowKey(sessionId, windowId);
  const iterator = layout.batches.iterator({ gt: batchKey(sessionId, windowId, after), lt: `${prefix}"` });
  try {
    for (;;) {
      const entry = await iterator.next();
      if (entry === undefined) return;
      const [key, value] = entry;
      const seq = Number.parseInt(key.slice(prefix.length + 1), 16);
      const { receivedAt, events } = await decodeBatch(value, key);
      yield { sessionId, windowId, seq, events, receivedAt };
    }
  } finally {
    await iterator.close();
  }
}
