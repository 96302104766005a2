/**
 * `LevelStore`: the embedded default, on LevelDB through `level`. The layout (README.md,
 * "On disk") is five sublevels with sortable string keys; every append is one atomic batch.
 * Active sessions are cached (record and window states) so that the hot path does not read
 * before it writes; all changes to one session are serialized, so concurrent appends from
 * several windows never lose an update.
 */
import { Level } from 'level';
import type { ErrorGroup, ErrorGroupDetail, ErrorGroupSession, ErrorOccurrence, SettableErrorStatus } from '@sentiero/protocol';
import { Compression, decodeBatch, decodeBatchJson, encodeBatch } from './codec.ts';
import {
  GroupPageBuilder, MAX_OCCURRENCES_KEPT, applyOccurrence, applySessionEntry, applyStatus, errorCursorKey, errorPageOf, groupListKey,
} from './error-record.ts';
import { StoreError, StoreErrorCode } from './errors.ts';
import { KeyedLock } from './keyed-lock.ts';
import { PageBuilder, hex, idOfListKey, invertedTime, listKey, lowerBound } from './list.ts';
import { type Located, batchTime, mergeByTime } from './merge.ts';
import { MAX_LISTED_WINDOWS, SeqSet, applyBatch } from './session-record.ts';
import { Store } from './store.ts';
import type {
  AppendResult, BatchInput, ErrorGroupPage, ErrorGroupQuery, ErrorListQuery, ListQuery, ReadQuery, RecordErrorResult,
  SessionErrorRecord, SessionPage, SessionRecord, StoredBatch, StoredBatchJson, StoreSupports,
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
    groups: db.sublevel<string, string>('error-groups', { valueEncoding: 'utf8' }),
    groupList: db.sublevel<string, string>('error-list', { valueEncoding: 'utf8' }),
    occurrences: db.sublevel<string, string>('error-occurrences', { valueEncoding: 'utf8' }),
    sessionErrors: db.sublevel<string, string>('session-errors', { valueEncoding: 'utf8' }),
    groupSessions: db.sublevel<string, string>('group-sessions', { valueEncoding: 'utf8' }),
    sourceMaps: db.sublevel<string, string>('source-maps', { valueEncoding: 'utf8' }),
  };
}

type Layout = ReturnType<typeof createLayout>;

/** A window as cached: its stored seqs, and its place among the session's windows (the order they were first stored). */
interface CachedWindow {
  seqs: SeqSet;
  index: number;
}

/** A session as cached: its record, and the windows loaded so far (one at a time, as they are appended to). */
interface CachedSession {
  record: SessionRecord;
  windows: Map<string, CachedWindow>;
}

/** A window's record: `acked`, and `i`, its place in the session (left out by format 1, which listed every window in the session record). */
interface WindowRecord {
  acked: number;
  i?: number;
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
  // Format 1 listed every window and kept no count.
  if (typeof r.windowCount !== 'number') r.windowCount = r.windows.length;
  if (r.windows.length > MAX_LISTED_WINDOWS) r.windows = r.windows.slice(0, MAX_LISTED_WINDOWS);
  return r as SessionRecord;
}

/** Parses a stored JSON value, or throws `STORE_CORRUPT` naming it. */
function parseJsonValue<T>(text: string, what: string, check: (v: Record<string, unknown>) => boolean): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw corrupt(what, err);
  }
  if (typeof value !== 'object' || value === null || !check(value as Record<string, unknown>)) throw corrupt(what);
  return value as T;
}

const parseGroup = (text: string, id: string): ErrorGroup =>
  parseJsonValue<ErrorGroup>(text, `the error group ${id}`, (g) => g.id === id && typeof g.count === 'number' && typeof g.lastSeen === 'number');
const parseEntry = (text: string, key: string): SessionErrorRecord =>
  parseJsonValue<SessionErrorRecord>(text, `the session error ${key}`, (e) => typeof e.groupId === 'string' && typeof e.count === 'number');
const parseGroupSession = (text: string, key: string): ErrorGroupSession =>
  parseJsonValue<ErrorGroupSession>(text, `the group session ${key}`, (e) => typeof e.sessionId === 'string' && typeof e.count === 'number');
const parseOccurrence = (text: string, key: string): ErrorOccurrence =>
  parseJsonValue<ErrorOccurrence>(text, `the error occurrence ${key}`, (o) => typeof o.id === 'string' && Array.isArray(o.frames));

const sessionErrorKey = (sessionId: string, groupId: string): string => `${sessionId}!${groupId}`;
/** Most recently affected sessions first within a group. */
const groupSessionKey = (groupId: string, lastSeen: number, sessionId: string): string => `${groupId}!${invertedTime(lastSeen)}!${sessionId}`;
/** Oldest first within a group (read in reverse for newest first). */
const occurrenceKey = (o: ErrorOccurrence): string => `${o.groupId}!${hex(Math.min(Math.max(Math.floor(o.timestamp), 0), Number.MAX_SAFE_INTEGER))}!${o.id}`;

const parseWindow = (text: string, key: string): WindowRecord =>
  parseJsonValue<WindowRecord>(text, `the window state ${key}`, (w) => Number.isSafeInteger(w.acked) && (w.i === undefined || Number.isSafeInteger(w.i)));

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
  /** Serializes the changes of one error group; taken after a session's lock, never before. */
  readonly #groupLocks = new KeyedLock();
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
    const session: CachedSession = { record: parseRecord(text, id), windows: new Map() };
    this.#remember(id, session);
    return session;
  }

  /**
   * A window of a loaded session, loading it on a miss: its record, and the seqs stored above
   * its first hole (found by their keys, once per load). Undefined for a window with nothing
   * stored. Only called under the session's lock.
   */
  async #window(layout: Layout, session: CachedSession, windowId: string): Promise<CachedWindow | undefined> {
    const cached = session.windows.get(windowId);
    if (cached) return cached;
    const sessionId = session.record.id;
    const key = windowKey(sessionId, windowId);
    const text = await layout.windows.get(key);
    if (text === undefined) return undefined;
    const state = parseWindow(text, key);
    const above: number[] = [];
    const from = batchKey(sessionId, windowId, state.acked);
    for await (const k of layout.batches.keys({ gt: from, lt: `${key}"` })) above.push(Number.parseInt(k.slice(key.length + 1), 16));
    const win = { seqs: new SeqSet(state.acked, above), index: state.i ?? legacyIndex(session.record, windowId) };
    session.windows.set(windowId, win);
    return win;
  }

  protected override async _append(batch: BatchInput): Promise<AppendResult> {
    const { sessionId, windowId, seq } = batch;
    const early = this.#cache.get(sessionId)?.windows.get(windowId)?.seqs;
    if (early?.has(seq)) return { stored: false, ackedSeq: early.acked };
    const value = await encodeBatch(batch, this.compression);
    return this.#locks.run(sessionId, async () => {
      const layout = this.#db();
      const session = await this.#load(layout, sessionId);
      const win = session && await this.#window(layout, session, windowId);
      if (win?.seqs.has(seq)) return { stored: false, ackedSeq: win.seqs.acked };
      const record = applyBatch(session?.record, batch, !win);
      if (!session) record.errorCount += await this.#linkedErrors(layout, sessionId);
      const target = win ?? { seqs: new SeqSet(), index: session?.record.windowCount ?? 0 };
      const acked = target.seqs.ackedWith(seq);
      const oldIndex = session ? listKey(session.record.startedAt, sessionId) : undefined;
      const newIndex = listKey(record.startedAt, sessionId);
      // Constant work whatever the session's history: the batch, the record (counters and bounded lists), and the window's record only when it is new or its `acked` moves.
      const write = layout.db.batch();
      write.put(batchKey(sessionId, windowId, seq), value, { sublevel: layout.batches });
      write.put(sessionId, JSON.stringify(record), { sublevel: layout.sessions });
      if (!win || acked !== win.seqs.acked) {
        const state: WindowRecord = { acked, i: target.index };
        write.put(windowKey(sessionId, windowId), JSON.stringify(state), { sublevel: layout.windows });
      }
      if (oldIndex !== newIndex) {
        if (oldIndex !== undefined) write.del(oldIndex, { sublevel: layout.byStart });
        write.put(newIndex, '', { sublevel: layout.byStart });
      }
      await write.write();
      target.seqs.add(seq);
      const windows = session?.windows ?? new Map<string, CachedWindow>();
      windows.set(windowId, target);
      this.#remember(sessionId, { record, windows });
      return { stored: true, ackedSeq: target.seqs.acked };
    });
  }

  protected override async _ackedSeq(sessionId: string, windowId: string): Promise<number> {
    const cached = this.#cache.get(sessionId)?.windows.get(windowId);
    if (cached) return cached.seqs.acked;
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

  protected override _readBatches(sessionId: string, query: ReadQuery): AsyncIterable<StoredBatch> {
    return this.#read(sessionId, query, decodeBatch, batchTime);
  }

  /** Hands each batch's events on as the JSON text stored, unparsed. */
  protected override _readBatchesJson(sessionId: string, query: ReadQuery): AsyncIterable<StoredBatchJson> {
    return this.#read(sessionId, query, decodeBatchJson, (b) => b.time);
  }

  async *#read<T>(sessionId: string, query: ReadQuery, decode: (value: Uint8Array, where: string) => Promise<T>, timeOf: (b: Located<T>) => number): AsyncGenerator<Located<T>> {
    const layout = this.#db();
    const record = await this.#readRecord(layout, sessionId);
    if (!record) return;
    const windowIds = await this.#windowIds(layout, record, query.windowId);
    yield* mergeByTime(windowIds.map((w) => readWindow(layout, sessionId, w, query.after.get(w) ?? 0, decode)), timeOf);
  }

  /** The session's windows (or only `only`, when it has it) in the order they were first stored. */
  async #windowIds(layout: Layout, record: SessionRecord, only: string | undefined): Promise<string[]> {
    if (only !== undefined) return (await layout.windows.get(windowKey(record.id, only))) === undefined ? [] : [only];
    const found: { id: string; index: number }[] = [];
    for await (const [key, text] of layout.windows.iterator(rangeUnder(record.id))) {
      const id = key.slice(record.id.length + 1);
      found.push({ id, index: parseWindow(text, key).i ?? legacyIndex(record, id) });
    }
    return found.sort((a, b) => a.index - b.index).map((w) => w.id);
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
      const entries: SessionErrorRecord[] = [];
      for await (const [key, value] of layout.sessionErrors.iterator(rangeUnder(id))) {
        entries.push(parseEntry(value, key));
        write.del(key, { sublevel: layout.sessionErrors });
      }
      await write.write();
      this.#cache.delete(id);
      for (const entry of entries) await this.#unlinkSession(layout, entry, id);
      return true;
    });
  }

  /** Takes a deleted session out of one of its groups. */
  async #unlinkSession(layout: Layout, entry: SessionErrorRecord, sessionId: string): Promise<void> {
    await this.#groupLocks.run(entry.groupId, async () => {
      const text = await layout.groups.get(entry.groupId);
      const write = layout.db.batch();
      write.del(groupSessionKey(entry.groupId, entry.lastSeen, sessionId), { sublevel: layout.groupSessions });
      if (text !== undefined) {
        const group = parseGroup(text, entry.groupId);
        write.put(group.id, JSON.stringify({ ...group, sessionCount: Math.max(0, group.sessionCount - 1) }), { sublevel: layout.groups });
      }
      await write.write();
    });
  }

  /** The occurrences linked to a session that has no record yet (its first batch came after them). */
  async #linkedErrors(layout: Layout, sessionId: string): Promise<number> {
    let n = 0;
    for await (const [key, value] of layout.sessionErrors.iterator(rangeUnder(sessionId))) n += parseEntry(value, key).count;
    return n;
  }

  protected override async _recordError(occ: ErrorOccurrence): Promise<RecordErrorResult> {
    const sid = occ.sessionId;
    const work = () => this.#groupLocks.run(occ.groupId, () => this.#writeOccurrence(occ));
    return sid === undefined ? work() : this.#locks.run(sid, work);
  }

  /** Writes one occurrence; runs under the group's lock and, when it has a session, that session's lock. */
  async #writeOccurrence(occ: ErrorOccurrence): Promise<RecordErrorResult> {
    const layout = this.#db();
    const sid = occ.sessionId;
    const groupText = await layout.groups.get(occ.groupId);
    const prev = groupText === undefined ? undefined : parseGroup(groupText, occ.groupId);
    const entryKey = sid === undefined ? undefined : sessionErrorKey(sid, occ.groupId);
    const entryText = entryKey === undefined ? undefined : await layout.sessionErrors.get(entryKey);
    const prevEntry = entryText === undefined || entryKey === undefined ? undefined : parseEntry(entryText, entryKey);
    const result = applyOccurrence(prev, occ, sid !== undefined && !prevEntry);
    const write = layout.db.batch();
    write.put(occ.groupId, JSON.stringify(result.group), { sublevel: layout.groups });
    const oldListKey = prev && groupListKey(prev);
    const newListKey = groupListKey(result.group);
    if (oldListKey !== newListKey) {
      if (oldListKey !== undefined) write.del(oldListKey, { sublevel: layout.groupList });
      write.put(newListKey, '', { sublevel: layout.groupList });
    }
    const key = occurrenceKey(occ);
    let keep = true;
    if (prev && prev.count >= MAX_OCCURRENCES_KEPT) {
      // Full: the oldest of the kept ones and the new one, whichever is older, is not kept.
      const [oldest] = await layout.occurrences.keys({ ...rangeUnder(occ.groupId), limit: 1 }).all();
      if (oldest !== undefined && oldest < key) write.del(oldest, { sublevel: layout.occurrences });
      else if (oldest !== undefined) keep = false;
    }
    if (keep) write.put(key, JSON.stringify(occ), { sublevel: layout.occurrences });
    let session: CachedSession | undefined;
    if (sid !== undefined && entryKey !== undefined) {
      const entry = applySessionEntry(prevEntry, occ);
      write.put(entryKey, JSON.stringify(entry), { sublevel: layout.sessionErrors });
      if (prevEntry) write.del(groupSessionKey(occ.groupId, prevEntry.lastSeen, sid), { sublevel: layout.groupSessions });
      const gs: ErrorGroupSession = { sessionId: sid, count: entry.count, firstSeen: entry.firstSeen, lastSeen: entry.lastSeen };
      write.put(groupSessionKey(occ.groupId, entry.lastSeen, sid), JSON.stringify(gs), { sublevel: layout.groupSessions });
      const loaded = await this.#load(layout, sid);
      if (loaded) {
        session = { record: { ...loaded.record, errorCount: loaded.record.errorCount + 1 }, windows: loaded.windows };
        write.put(sid, JSON.stringify(session.record), { sublevel: layout.sessions });
      }
    }
    await write.write();
    if (sid !== undefined && session) this.#remember(sid, session);
    return result;
  }

  protected override async _listErrorGroups(query: ErrorListQuery): Promise<ErrorGroupPage> {
    const layout = this.#db();
    if (query.sessionId !== undefined) {
      const ids: string[] = [];
      for await (const [k, v] of layout.sessionErrors.iterator(rangeUnder(query.sessionId))) ids.push(parseEntry(v, k).groupId);
      const texts = await layout.groups.getMany(ids);
      const groups = texts.flatMap((t, i) => (t === undefined ? [] : [parseGroup(t, ids[i])]));
      return errorPageOf(groups, query);
    }
    const after = errorCursorKey(query);
    const keys = layout.groupList.keys(after === undefined ? {} : { gt: after });
    const page = new GroupPageBuilder(query);
    try {
      while (!page.done) {
        const chunk = await keys.nextv(Math.min(Math.max(query.limit + 1, 16), 256));
        if (chunk.length === 0) break;
        const ids = chunk.map(idOfListKey);
        const texts = await layout.groups.getMany(ids);
        for (let i = 0; i < chunk.length; i++) {
          const text = texts[i];
          if (text !== undefined && !page.offer(chunk[i], parseGroup(text, ids[i]))) break;
        }
      }
    } finally {
      await keys.close();
    }
    return page.page();
  }

  protected override async _getErrorGroup(id: string, query: ErrorGroupQuery): Promise<ErrorGroupDetail | undefined> {
    const layout = this.#db();
    const text = await layout.groups.get(id);
    if (text === undefined) return undefined;
    const group = parseGroup(text, id);
    const sessions: ErrorGroupSession[] = [];
    if (query.sessions > 0) {
      for await (const [k, v] of layout.groupSessions.iterator({ ...rangeUnder(id), limit: query.sessions })) sessions.push(parseGroupSession(v, k));
    }
    const occurrences: ErrorOccurrence[] = [];
    if (query.occurrences > 0) {
      for await (const [k, v] of layout.occurrences.iterator({ ...rangeUnder(id), reverse: true, limit: query.occurrences })) {
        occurrences.push(parseOccurrence(v, k));
      }
    }
    return { ...group, sessions, occurrences };
  }

  protected override async _setErrorStatus(id: string, status: SettableErrorStatus, at: number): Promise<ErrorGroup | undefined> {
    return this.#groupLocks.run(id, async () => {
      const layout = this.#db();
      const text = await layout.groups.get(id);
      if (text === undefined) return undefined;
      const group = applyStatus(parseGroup(text, id), status, at);
      await layout.groups.put(id, JSON.stringify(group));
      return group;
    });
  }

  protected override async _sessionErrors(sessionId: string): Promise<SessionErrorRecord[]> {
    const out: SessionErrorRecord[] = [];
    for await (const [k, v] of this.#db().sessionErrors.iterator(rangeUnder(sessionId))) out.push(parseEntry(v, k));
    return out.sort((a, b) => a.firstSeen - b.firstSeen || (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
  }

  protected override async _putSourceMap(file: string, map: string): Promise<void> {
    await this.#db().sourceMaps.put(file, map);
  }

  protected override async _getSourceMap(file: string): Promise<string | undefined> {
    return this.#db().sourceMaps.get(file);
  }
}

/** A format-1 window's place: its position in its session's record, which then listed every window. */
function legacyIndex(record: SessionRecord, windowId: string): number {
  const i = record.windows.indexOf(windowId);
  return i < 0 ? Number.MAX_SAFE_INTEGER : i;
}

/** One window's batches in seq order, decoded one at a time as the consumer pulls. */
async function* readWindow<T>(
  layout: Layout, sessionId: string, windowId: string, after: number, decode: (value: Uint8Array, where: string) => Promise<T>,
): AsyncGenerator<Located<T>> {
  const prefix = windowKey(sessionId, windowId);
  const iterator = layout.batches.iterator({ gt: batchKey(sessionId, windowId, after), lt: `${prefix}"` });
  try {
    for (;;) {
      const entry = await iterator.next();
      if (entry === undefined) return;
      const [key, value] = entry;
      const seq = Number.parseInt(key.slice(prefix.length + 1), 16);
      yield { sessionId, windowId, seq, ...(await decode(value, key)) };
    }
  } finally {
    await iterator.close();
  }
}
