/**
 * `LevelStore`: the embedded default, on LevelDB through `level`. The layout (README.md,
 * "On disk") is twenty-one sublevels with sortable string keys; every append is in one atomic
 * batch (shared with the appends of its session queued with it: group commit) of a size that
 * does not grow with the session. Active sessions are cached (record and the
 * states of the windows appended to), and windows' dictionaries in a smaller cache, so that
 * the hot path does not read before it writes; all changes to one session are serialized, so
 * concurrent appends from several windows never lose an update.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Level } from 'level';
import type { ErrorGroup, ErrorGroupDetail, ErrorGroupSession, ErrorOccurrence, Segment, SessionDigest, SettableErrorStatus } from '@sentiero/protocol';
import { type AssetRef, decodeAssetRef, encodeAssetRef } from './asset-record.ts';
import { type DigestScanOptions, digestKey, digestRange, parseDigest, parseSegment } from './digest-record.ts';
import {
  Compression, DICTIONARY_BYTES, batchText, createDictionary, decodeBatch, decodeBatchJson, decodeDictionary, encodeBatchText, encodeDictionary,
} from './codec.ts';
import type { Dictionary, DictionaryLoader } from './codec.ts';
import {
  GroupPageBuilder, MAX_OCCURRENCES_KEPT, applyOccurrence, applySessionEntry, applyStatus, errorCursorKey, errorPageOf, groupListKey,
} from './error-record.ts';
import {
  type AuditEntry, type AuditHead, type AuditQuery, type TokenRecord, auditKey, decodeAudit, decodeHead, decodeToken, encodeAudit, encodeHead,
} from './audit-record.ts';
import { eraseFromGroups, folderBytes, occurrenceMatches } from './erasure.ts';
import { StoreError, StoreErrorCode } from './errors.ts';
import { KeyedLock } from './keyed-lock.ts';
import { PageBuilder, hex, idOfListKey, invertedTime, listKey, lowerBound } from './list.ts';
import { type Located, batchTime, mergeByTime } from './merge.ts';
import { countersText, infoChanged, infoText, parseRecord } from './level-record.ts';
import type { ParsedRecord } from './level-record.ts';
import { SeqSet, applyBatch } from './session-record.ts';
import { Store } from './store.ts';
import type {
  AppendResult, BatchInput, ErrorGroupPage, ErrorGroupQuery, ErrorListQuery, ListQuery, OccurrenceErasure, OccurrenceFilter, ReadQuery, RecordErrorResult,
  SessionErrorRecord, SessionPage, SessionRecord, StoredBatch, StoredBatchJson, StoreSupports,
} from './types.ts';

/** The on-disk format this version writes (kept under `meta` / `format`); it also reads format 1, and marks such a folder 2 on open. */
export const LEVEL_FORMAT_VERSION = 2;

/** A batch's text this long or longer is turned into bytes in a later turn of the event loop than it was serialized in. */
const YIELD_ABOVE_CHARS = 64 * 1024;

/** The formats this version opens: format 1's records and batches all read, so it is upgraded in place by writing on. */
const READABLE_FORMATS = ['1', String(LEVEL_FORMAT_VERSION)];

/** Options of `LevelStore`. */
export interface LevelStoreOptions {
  /** The LevelDB folder (created when missing). */
  location: string;
  /** How batches are compressed when written; default `'brotli'` (`'brotli-window'` stores about a third less for about four times the CPU). Values written with any codec stay readable. */
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
    sessionInfo: db.sublevel<string, string>('session-info', { valueEncoding: 'utf8' }),
    windows: db.sublevel<string, string>('windows', { valueEncoding: 'utf8' }),
    batches: db.sublevel<string, Uint8Array>('batches', { valueEncoding: 'view' }),
    dictionaries: db.sublevel<string, Uint8Array>('dictionaries', { valueEncoding: 'view' }),
    byStart: db.sublevel<string, string>('by-start', { valueEncoding: 'utf8' }),
    groups: db.sublevel<string, string>('error-groups', { valueEncoding: 'utf8' }),
    groupList: db.sublevel<string, string>('error-list', { valueEncoding: 'utf8' }),
    occurrences: db.sublevel<string, string>('error-occurrences', { valueEncoding: 'utf8' }),
    sessionErrors: db.sublevel<string, string>('session-errors', { valueEncoding: 'utf8' }),
    groupSessions: db.sublevel<string, string>('group-sessions', { valueEncoding: 'utf8' }),
    sourceMaps: db.sublevel<string, string>('source-maps', { valueEncoding: 'utf8' }),
    // Audit log and tokens (access): entries by seq (`auditKey`), the chain's head under `meta` / `audit-head`; tokens by name.
    audit: db.sublevel<string, string>('audit', { valueEncoding: 'utf8' }),
    tokens: db.sublevel<string, string>('tokens', { valueEncoding: 'utf8' }),
    // Analytics (digest-record.ts)
    digests: db.sublevel<string, string>('digests', { valueEncoding: 'utf8' }),
    digestKeys: db.sublevel<string, string>('digest-keys', { valueEncoding: 'utf8' }),
    segments: db.sublevel<string, string>('segments', { valueEncoding: 'utf8' }),
    // Captured assets (asset-record.ts): encoded bytes by SHA-256; each session's refs keyed `<sessionId>!<url>`
    assets: db.sublevel<string, Uint8Array>('assets', { valueEncoding: 'view' }),
    assetRefs: db.sublevel<string, string>('asset-refs', { valueEncoding: 'utf8' }),
    assetTimes: db.sublevel<string, string>('asset-times', { valueEncoding: 'utf8' }),
  };
}

type Layout = ReturnType<typeof createLayout>;

/**
 * The sublevels whose keys are `<sessionId>!…`, besides the session record and its error
 * entries: deleting a session deletes every key under its id in each. A per-session record
 * type (a digest, an export) keyed that way adds its sublevel here and is erased, pruned and
 * retained with its session.
 */
function sessionKeyed(layout: Layout): Layout['windows'][] {
  // Only keys are read and deleted, so the sublevels' value encodings do not matter here.
  const keyed = (sublevel: unknown) => sublevel as Layout['windows'];
  return [layout.windows, keyed(layout.dictionaries), keyed(layout.batches), layout.assetRefs];
}
type LevelBatch = ReturnType<Layout['db']['batch']>;

/** A window as cached: its stored seqs, its place among the session's windows (the order they were first stored), and the `acked` its record holds. */
interface CachedWindow {
  seqs: SeqSet;
  index: number;
  stored: number;
}

/** A session as cached: its record (`legacy` when stored in format 1), and the windows loaded so far (one at a time, as they are appended to). */
interface CachedSession {
  record: SessionRecord;
  legacy: boolean;
  windows: Map<string, CachedWindow>;
}

/**
 * A window's record is rewritten when its `acked` has moved this far since it was last: in
 * between, the batches' own keys say what is stored, and loading a window reads them.
 */
const ACKED_WRITE_EVERY = 64;

/** A compressed batch waiting for its session's lock; settled once its group's write is durable (or failed). */
interface QueuedAppend {
  batch: BatchInput;
  /** Its window's key (`windowKey`). */
  key: string;
  /** Its text, for the window codec's dictionary. */
  json: Buffer;
  /** The value to store. */
  value: Uint8Array;
  /** Whether the window had no dictionary when it was compressed: its text is collected for one. */
  collect: boolean;
  resolve: (result: AppendResult) => void;
  reject: (err: unknown) => void;
}

/** A window while a group is committed: its stored seqs, changed only once the write is durable, and the seqs the group adds. */
interface GroupWindow {
  cached: CachedWindow | undefined;
  key: string;
  seqs: SeqSet;
  added: Set<number>;
  index: number;
}

/** The window's `acked` once the group's seqs are added: one step per seq it passes, never a copy of the window's seqs. */
function ackedWithGroup(w: GroupWindow): number {
  let acked = w.seqs.acked;
  while (w.added.has(acked + 1) || w.seqs.has(acked + 1)) acked++;
  return acked;
}

/** The window codec's state of one window: its dictionary, or the text of its first batches until they fill one. */
interface DictionaryState {
  dictionary: Dictionary | undefined;
  parts: Buffer[];
  bytes: number;
}

/** How many windows' dictionaries stay in memory (64 KiB of text each, and up to as much collected before one is built). */
const DICTIONARY_CACHE_SIZE = 256;

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
  readonly supports: StoreSupports = Object.freeze({ persistence: true, analytics: true, assets: true });
  /** The LevelDB folder. */
  readonly location: string;
  /** The compression of newly written batches. */
  readonly compression: Compression;

  readonly #cacheSize: number;
  readonly #cache = new Map<string, CachedSession>();
  /** The window codec's state per window (`windowKey`), least recently used first. */
  readonly #dictionaries = new Map<string, DictionaryState>();
  readonly #locks = new KeyedLock();
  /** Per session, the compressed batches waiting for its lock, to be committed in one write. */
  readonly #queued = new Map<string, QueuedAppend[]>();
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
      if (format === undefined || (format !== String(LEVEL_FORMAT_VERSION) && READABLE_FORMATS.includes(format))) {
        await layout.meta.put('format', String(LEVEL_FORMAT_VERSION));
      } else if (format !== String(LEVEL_FORMAT_VERSION)) {
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
    this.#dictionaries.clear();
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

  /** The window codec's state of a window, loading its dictionary on a miss. */
  async #dictionaryState(layout: Layout, key: string): Promise<DictionaryState> {
    const cached = this.#dictionaries.get(key);
    if (cached) {
      this.#dictionaries.delete(key);
      this.#dictionaries.set(key, cached);
      return cached;
    }
    const value = await layout.dictionaries.get(key);
    const state: DictionaryState = { dictionary: value === undefined ? undefined : await decodeDictionary(value, key), parts: [], bytes: 0 };
    // An append may have built the dictionary while this one loaded: the state that has one wins.
    const now = this.#dictionaries.get(key);
    if (now && (now.dictionary || !state.dictionary)) return now;
    this.#dictionaries.set(key, state);
    if (this.#dictionaries.size > DICTIONARY_CACHE_SIZE) this.#dictionaries.delete(this.#dictionaries.keys().next().value as string);
    return state;
  }

  /**
   * Adds a batch's text to a window without a dictionary; once the window's texts fill one,
   * builds it. Only called under the session's lock; the caller stores the dictionary.
   */
  async #collect(layout: Layout, key: string, json: Buffer): Promise<Dictionary | undefined> {
    const state = await this.#dictionaryState(layout, key);
    if (state.dictionary) return undefined;
    state.parts.push(json);
    state.bytes += json.length;
    return state.bytes >= DICTIONARY_BYTES ? createDictionary(Buffer.concat(state.parts)) : undefined;
  }

  /** The session's record as stored (undefined when there is none). */
  async #fetch(layout: Layout, id: string): Promise<ParsedRecord | undefined> {
    const [counters, info] = await Promise.all([layout.sessions.get(id), layout.sessionInfo.get(id)]);
    return counters === undefined ? undefined : parseRecord(id, counters, info);
  }

  async #readRecord(layout: Layout, id: string): Promise<SessionRecord | undefined> {
    const cached = this.#cache.get(id);
    if (cached) return cached.record;
    return (await this.#fetch(layout, id))?.record;
  }

  /** The session as cached, loading it on a miss. Only called under the session's lock, so a load never overwrites a newer write. */
  async #load(layout: Layout, id: string): Promise<CachedSession | undefined> {
    const cached = this.#cache.get(id);
    if (cached) return cached;
    const parsed = await this.#fetch(layout, id);
    if (!parsed) return undefined;
    const session: CachedSession = { ...parsed, windows: new Map() };
    this.#remember(id, session);
    return session;
  }

  /** Puts a session's record in `write`: its counters, and the rest when it changed (or was in format 1). */
  #putRecord(write: LevelBatch, layout: Layout, record: SessionRecord, prev: CachedSession | undefined): void {
    write.put(record.id, countersText(record), { sublevel: layout.sessions });
    if (!prev || prev.legacy || infoChanged(prev.record, record)) write.put(record.id, infoText(record), { sublevel: layout.sessionInfo });
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
    const seqs = new SeqSet(state.acked);
    for await (const k of layout.batches.keys({ gt: batchKey(sessionId, windowId, state.acked), lt: `${key}"` })) seqs.add(Number.parseInt(k.slice(key.length + 1), 16));
    const win = { seqs, index: state.i ?? legacyIndex(session.record, windowId), stored: state.acked };
    session.windows.set(windowId, win);
    return win;
  }

  protected override async _append(batch: BatchInput): Promise<AppendResult> {
    const { sessionId, windowId, seq } = batch;
    const early = this.#cache.get(sessionId)?.windows.get(windowId)?.seqs;
    if (early?.has(seq)) return { stored: false, ackedSeq: early.acked };
    const key = windowKey(sessionId, windowId);
    const text = batchText(batch);
    // A large batch's text becomes bytes in the next turn of the event loop, so that I/O waiting meanwhile (a small batch) runs in between.
    if (text.length >= YIELD_ABOVE_CHARS) await nextTurn();
    const json = Buffer.from(text, 'utf8');
    const windowed = this.compression === Compression.BROTLI_WINDOW;
    const dictionary = windowed ? (await this.#dictionaryState(this.#db(), key)).dictionary : undefined;
    // Compressed before the session's lock is taken, so that the batches of one session compress in parallel.
    const value = await encodeBatchText(json, this.compression, dictionary);
    return new Promise<AppendResult>((resolve, reject) => {
      const item: QueuedAppend = { batch, key, json, value, collect: windowed && !dictionary, resolve, reject };
      const queued = this.#queued.get(sessionId);
      if (queued) {
        queued.push(item);
        return;
      }
      this.#queued.set(sessionId, [item]);
      // The first batch queued takes the session's lock; every batch queued by the time it has it is committed with it.
      void this.#locks.run(sessionId, async () => {
        const group = this.#queued.get(sessionId) ?? [];
        this.#queued.delete(sessionId);
        try {
          const results = await this.#commit(sessionId, group);
          group.forEach((g, i) => g.resolve(results[i]!));
        } catch (err) {
          for (const g of group) g.reject(err);
        }
      });
    });
  }

  /**
   * Stores a session's queued batches in one LevelDB write: the batches, the session's record
   * once, the states of the windows they belong to, the list index, and a dictionary a batch
   * completed. The write is O(batches in the group) whatever the session's history. Only
   * called under the session's lock; nothing cached changes until the write is durable, so a
   * batch is never reported stored (by this group or by a concurrent re-send) before it is.
   * The results are in the group's order.
   */
  async #commit(sessionId: string, group: readonly QueuedAppend[]): Promise<AppendResult[]> {
    const layout = this.#db();
    const session = await this.#load(layout, sessionId);
    const linked = session ? 0 : await this.#linkedErrors(layout, sessionId);
    let record = session?.record;
    const touched = new Map<string, GroupWindow>();
    const built = new Map<string, Dictionary>();
    const stored: boolean[] = [];
    const write = layout.db.batch();
    for (const { batch, key, json, value, collect } of group) {
      let w = touched.get(batch.windowId);
      if (!w) {
        const cached = session && await this.#window(layout, session, batch.windowId);
        w = { cached, key, seqs: cached?.seqs ?? new SeqSet(), added: new Set(), index: cached?.index ?? record?.windowCount ?? 0 };
        touched.set(batch.windowId, w);
      }
      if (w.seqs.has(batch.seq) || w.added.has(batch.seq)) {
        stored.push(false);
        continue;
      }
      const firstOfSession = record === undefined;
      record = applyBatch(record, batch, !w.cached && w.added.size === 0);
      if (firstOfSession) record.errorCount += linked;
      w.added.add(batch.seq);
      stored.push(true);
      write.put(batchKey(sessionId, batch.windowId, batch.seq), value, { sublevel: layout.batches });
      if (collect && !built.has(key)) {
        const dictionary = await this.#collect(layout, key, json);
        if (dictionary) built.set(key, dictionary);
      }
    }
    const result = (i: number): AppendResult => ({ stored: stored[i]!, ackedSeq: touched.get(group[i]!.batch.windowId)!.seqs.acked });
    if (!record || record === session?.record) return group.map((_, i) => result(i));
    this.#putRecord(write, layout, record, session);
    // The window's record is written when it is new, and now and then after: in between, the batches' own keys say what is stored.
    const rewritten = new Set<GroupWindow>();
    for (const w of touched.values()) {
      if (w.added.size === 0) continue;
      const acked = ackedWithGroup(w);
      if (w.cached && acked - w.cached.stored < ACKED_WRITE_EVERY) continue;
      const state: WindowRecord = { acked, i: w.index };
      write.put(w.key, JSON.stringify(state), { sublevel: layout.windows });
      rewritten.add(w);
    }
    const oldIndex = session ? listKey(session.record.startedAt, sessionId) : undefined;
    const newIndex = listKey(record.startedAt, sessionId);
    if (oldIndex !== newIndex) {
      if (oldIndex !== undefined) write.del(oldIndex, { sublevel: layout.byStart });
      write.put(newIndex, '', { sublevel: layout.byStart });
    }
    for (const [key, dictionary] of built) write.put(key, encodeDictionary(dictionary), { sublevel: layout.dictionaries });
    await write.write();
    for (const [key, dictionary] of built) this.#dictionaries.set(key, { dictionary, parts: [], bytes: 0 });
    const windows = session?.windows ?? new Map<string, CachedWindow>();
    for (const [windowId, w] of touched) {
      for (const seq of w.added) w.seqs.add(seq);
      const target = w.cached ?? { seqs: w.seqs, index: w.index, stored: 0 };
      if (rewritten.has(w)) target.stored = w.seqs.acked;
      windows.set(windowId, target);
    }
    this.#remember(sessionId, { record, legacy: false, windows });
    return group.map((_, i) => result(i));
  }

  protected override async _ackedSeq(sessionId: string, windowId: string): Promise<number> {
    const cached = this.#cache.get(sessionId)?.windows.get(windowId);
    if (cached) return cached.seqs.acked;
    const layout = this.#db();
    const key = windowKey(sessionId, windowId);
    const text = await layout.windows.get(key);
    if (text === undefined) return 0;
    let acked = parseWindow(text, key).acked;
    // The record may be behind: the batches stored right after it say how far.
    for await (const k of layout.batches.keys({ gt: batchKey(sessionId, windowId, acked), lt: `${key}"` })) {
      if (Number.parseInt(k.slice(key.length + 1), 16) !== acked + 1) break;
      acked++;
    }
    return acked;
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
        const [texts, infos] = await Promise.all([layout.sessions.getMany(ids), layout.sessionInfo.getMany(ids)]);
        for (let i = 0; i < chunk.length; i++) {
          const text = texts[i];
          if (text !== undefined && !page.offer(chunk[i], parseRecord(ids[i], text, infos[i]).record)) break;
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

  async *#read<T>(sessionId: string, query: ReadQuery, decode: Decode<T>, timeOf: (b: Located<T>) => number): AsyncGenerator<Located<T>> {
    const layout = this.#db();
    const record = await this.#readRecord(layout, sessionId);
    if (!record) return;
    const windowIds = await this.#windowIds(layout, record, query.windowId);
    const dictionaryOf = (windowId: string): DictionaryLoader => {
      const key = windowKey(sessionId, windowId);
      return async () => (await this.#dictionaryState(layout, key)).dictionary;
    };
    yield* mergeByTime(windowIds.map((w) => readWindow(layout, sessionId, w, query.after.get(w) ?? 0, decode, dictionaryOf(w))), timeOf);
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
      write.del(id, { sublevel: layout.sessionInfo });
      write.del(listKey(record.startedAt, id), { sublevel: layout.byStart });
      for (const sublevel of sessionKeyed(layout)) {
        for await (const key of sublevel.keys(rangeUnder(id))) write.del(key, { sublevel });
      }
      const digest = await layout.digestKeys.get(id);
      if (digest !== undefined) {
        write.del(digest, { sublevel: layout.digests });
        write.del(id, { sublevel: layout.digestKeys });
      }
      const entries: SessionErrorRecord[] = [];
      for await (const [key, value] of layout.sessionErrors.iterator(rangeUnder(id))) {
        entries.push(parseEntry(value, key));
        write.del(key, { sublevel: layout.sessionErrors });
      }
      await write.write();
      this.#cache.delete(id);
      for (const key of [...this.#dictionaries.keys()]) if (key.startsWith(`${id}!`)) this.#dictionaries.delete(key);
      for (const entry of entries) await this.#unlinkSession(layout, entry, id);
      return true;
    });
  }

  // Privacy: erasure, retention and size.

  protected override async _eraseOccurrences(filter: OccurrenceFilter): Promise<OccurrenceErasure> {
    const layout = this.#db();
    const groupIds: string[] = [];
    if ('sessionId' in filter) {
      for await (const [k, v] of layout.sessionErrors.iterator(rangeUnder(filter.sessionId))) groupIds.push(parseEntry(v, k).groupId);
    } else {
      for await (const id of layout.groups.keys()) groupIds.push(id);
    }
    return eraseFromGroups(groupIds, (groupId) => this.#groupLocks.run(groupId, async () => {
      const write = layout.db.batch();
      let n = 0;
      for await (const [k, v] of layout.occurrences.iterator(rangeUnder(groupId))) {
        if (!occurrenceMatches(parseOccurrence(v, k), filter)) continue;
        write.del(k, { sublevel: layout.occurrences });
        n++;
      }
      if (n > 0) await write.write();
      else await write.close();
      return n;
    }));
  }

  protected override async _oldestSessions(limit: number): Promise<SessionRecord[]> {
    const layout = this.#db();
    const keys = await layout.byStart.keys({ reverse: true, limit }).all();
    const ids = keys.map(idOfListKey);
    const records = await Promise.all(ids.map((id) => this.#readRecord(layout, id)));
    return records.flatMap((r) => (r ? [structuredClone(r)] : []));
  }

  /** The files of the LevelDB folder. */
  protected override async _diskSize(): Promise<number> {
    return folderBytes(this.location);
  }

  /** Compacts every key, so that LevelDB drops what was deleted and its files shrink. */
  protected override async _compact(): Promise<void> {
    // `level` is classic-level in Node, which compacts; its type is the one shared with browser-level, which does not.
    const db = this.#db().db as unknown as { compactRange(start: string, end: string): Promise<void> };
    await db.compactRange('\u0000', '\uffff');
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
        session = { record: { ...loaded.record, errorCount: loaded.record.errorCount + 1 }, legacy: false, windows: loaded.windows };
        this.#putRecord(write, layout, session.record, loaded);
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

  // Audit log and tokens (access).

  protected override async _auditHead(): Promise<AuditHead | undefined> {
    const text = await this.#db().meta.get(AUDIT_HEAD_KEY);
    return text === undefined ? undefined : decodeHead(text);
  }

  protected override async _appendAudit(entry: AuditEntry): Promise<void> {
    const layout = this.#db();
    await layout.db.batch()
      .put(auditKey(entry.seq), encodeAudit(entry), { sublevel: layout.audit })
      .put(AUDIT_HEAD_KEY, encodeHead({ seq: entry.seq, hash: entry.hash }), { sublevel: layout.meta })
      .write();
  }

  protected override async _firstAudit(limit: number): Promise<AuditEntry[]> {
    const out: AuditEntry[] = [];
    for await (const [k, v] of this.#db().audit.iterator({ limit })) out.push(decodeAudit(k, v));
    return out;
  }

  protected override async _auditBase(): Promise<AuditHead | undefined> {
    const text = await this.#db().meta.get(AUDIT_BASE_KEY);
    return text === undefined ? undefined : decodeHead(text);
  }

  protected override async _pruneAudit(upto: AuditHead): Promise<void> {
    const layout = this.#db();
    const write = layout.db.batch();
    for await (const key of layout.audit.keys({ lte: auditKey(upto.seq) })) write.del(key, { sublevel: layout.audit });
    await write.put(AUDIT_BASE_KEY, encodeHead(upto), { sublevel: layout.meta }).write();
  }

  protected override async _readAudit(query: AuditQuery): Promise<AuditEntry[]> {
    const range = query.before === undefined ? {} : { lt: auditKey(query.before) };
    const out: AuditEntry[] = [];
    for await (const [k, v] of this.#db().audit.iterator({ ...range, reverse: true, limit: query.limit })) out.push(decodeAudit(k, v));
    return out;
  }

  protected override async _putToken(record: TokenRecord): Promise<boolean> {
    return this.#locks.run(TOKENS_LOCK, async () => {
      const tokens = this.#db().tokens;
      if ((await tokens.get(record.name)) !== undefined) return false;
      await tokens.put(record.name, JSON.stringify(record));
      return true;
    });
  }

  protected override async _listTokens(): Promise<TokenRecord[]> {
    const out: TokenRecord[] = [];
    for await (const [k, v] of this.#db().tokens.iterator()) out.push(decodeToken(k, v));
    return out;
  }

  protected override async _deleteToken(name: string): Promise<boolean> {
    return this.#locks.run(TOKENS_LOCK, async () => {
      const tokens = this.#db().tokens;
      if ((await tokens.get(name)) === undefined) return false;
      await tokens.del(name);
      return true;
    });
  }

  // ───── Analytics: per-session digests and saved segments ─────

  protected override async _putDigest(digest: SessionDigest): Promise<boolean> {
    return this.#locks.run(digest.sessionId, async () => {
      const layout = this.#db();
      if (!(await this.#readRecord(layout, digest.sessionId))) return false;
      const key = digestKey(digest);
      const old = await layout.digestKeys.get(digest.sessionId);
      const write = layout.db.batch();
      if (old !== undefined && old !== key) write.del(old, { sublevel: layout.digests });
      if (old !== key) write.put(digest.sessionId, key, { sublevel: layout.digestKeys });
      write.put(key, JSON.stringify(digest), { sublevel: layout.digests });
      await write.write();
      return true;
    });
  }

  protected override async _getDigest(sessionId: string): Promise<SessionDigest | undefined> {
    const layout = this.#db();
    const key = await layout.digestKeys.get(sessionId);
    const text = key === undefined ? undefined : await layout.digests.get(key);
    return text === undefined ? undefined : parseDigest(text, sessionId);
  }

  protected override async *_scanDigests(range: DigestScanOptions): AsyncIterable<SessionDigest> {
    const iterator = this.#db().digests.iterator(digestRange(range));
    try {
      for (;;) {
        const chunk = await iterator.nextv(1000);
        if (chunk.length === 0) return;
        for (const [key, text] of chunk) yield parseDigest(text, key);
      }
    } finally {
      await iterator.close();
    }
  }

  protected override async _putSegment(segment: Segment): Promise<void> {
    await this.#db().segments.put(segment.id, JSON.stringify(segment));
  }

  protected override async _listSegments(): Promise<Segment[]> {
    const out: Segment[] = [];
    for await (const [k, v] of this.#db().segments.iterator()) out.push(parseSegment(v, k));
    return out.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
  }

  protected override async _deleteSegment(id: string): Promise<boolean> {
    const layout = this.#db();
    if ((await layout.segments.get(id)) === undefined) return false;
    await layout.segments.del(id);
    return true;
  }

  // ───── Captured assets ─────

  protected override async _touchAsset(hash: string, at: number): Promise<boolean> {
    return this.#locks.run(`asset!${hash}`, async () => {
      const layout = this.#db();
      if ((await layout.assetTimes.get(hash)) === undefined) return false;
      await layout.assetTimes.put(hash, String(at));
      return true;
    });
  }

  protected override async _putAsset(hash: string, encoded: Uint8Array, at: number): Promise<void> {
    await this.#locks.run(`asset!${hash}`, async () => {
      const layout = this.#db();
      await layout.db.batch().put(hash, encoded, { sublevel: layout.assets }).put(hash, String(at), { sublevel: layout.assetTimes }).write();
    });
  }

  protected override async *_assetTimes(): AsyncIterable<[string, number]> {
    for await (const [hash, at] of this.#db().assetTimes.iterator()) yield [hash, Number(at)];
  }

  protected override async *_referencedAssets(): AsyncIterable<string> {
    for await (const text of this.#db().assetRefs.values()) {
      const hash = (JSON.parse(text) as { hash?: string }).hash;
      if (hash !== undefined) yield hash;
    }
  }

  protected override async _deleteAsset(hash: string, before: number): Promise<boolean> {
    return this.#locks.run(`asset!${hash}`, async () => {
      const layout = this.#db();
      const at = await layout.assetTimes.get(hash);
      if (at === undefined || Number(at) >= before) return false;
      await layout.db.batch().del(hash, { sublevel: layout.assets }).del(hash, { sublevel: layout.assetTimes }).write();
      return true;
    });
  }

  protected override async _getAsset(hash: string): Promise<Uint8Array | undefined> {
    return this.#db().assets.get(hash);
  }

  protected override async _putAssetRefs(sessionId: string, refs: AssetRef[]): Promise<boolean> {
    return this.#locks.run(sessionId, async () => {
      const layout = this.#db();
      if (!(await this.#readRecord(layout, sessionId))) return false;
      const write = layout.db.batch();
      for (const ref of refs) write.put(`${sessionId}!${ref.url}`, encodeAssetRef(ref), { sublevel: layout.assetRefs });
      await write.write();
      return true;
    });
  }

  protected override async _getAssetRef(sessionId: string, url: string): Promise<AssetRef | undefined> {
    const text = await this.#db().assetRefs.get(`${sessionId}!${url}`);
    return text === undefined ? undefined : decodeAssetRef(url, text);
  }

  protected override async _listAssetRefs(sessionId: string): Promise<AssetRef[]> {
    const refs: AssetRef[] = [];
    for await (const [key, text] of this.#db().assetRefs.iterator(rangeUnder(sessionId))) refs.push(decodeAssetRef(key.slice(sessionId.length + 1), text));
    return refs;
  }
}

/** Where the audit chain's head is kept, under `meta`. */
const AUDIT_HEAD_KEY = 'audit-head';
/** Where the last entry audit retention removed is kept, under `meta`: the chain's base. */
const AUDIT_BASE_KEY = 'audit-base';
/** The key of the session lock that serializes token changes (session ids never contain a space). */
const TOKENS_LOCK = ' tokens';

/** A format-1 window's place: its position in its session's record, which then listed every window. */
function legacyIndex(record: SessionRecord, windowId: string): number {
  const i = record.windows.indexOf(windowId);
  return i < 0 ? Number.MAX_SAFE_INTEGER : i;
}

/** Decodes a stored batch value. */
type Decode<T> = (value: Uint8Array, where: string, dictionary: DictionaryLoader) => Promise<T>;

/** One window's batches in seq order, decoded one at a time as the consumer pulls. */
async function* readWindow<T>(
  layout: Layout, sessionId: string, windowId: string, after: number, decode: Decode<T>, dictionary: DictionaryLoader,
): AsyncGenerator<Located<T>> {
  const prefix = windowKey(sessionId, windowId);
  const iterator = layout.batches.iterator({ gt: batchKey(sessionId, windowId, after), lt: `${prefix}"` });
  try {
    for (;;) {
      const entry = await iterator.next();
      if (entry === undefined) return;
      const [key, value] = entry;
      const seq = Number.parseInt(key.slice(prefix.length + 1), 16);
      yield { sessionId, windowId, seq, ...(await decode(value, key, dictionary)) };
    }
  } finally {
    await iterator.close();
  }
}
