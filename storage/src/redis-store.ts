/**
 * `RedisStore`: the `Store` on Redis (≥ 6.2), single node or Cluster, through `ioredis`, for
 * several relay processes sharing one store. Every write that must be atomic (an append and
 * its ack, counters, a status change) is one Lua script (redis-scripts.ts) over the keys of
 * one hash slot: a session's keys carry its id as hash tag (`{sessionId}`), an error group's
 * its id (`g:{groupId}`). The two listings (sessions by start, error groups by last seen)
 * are sorted sets outside those slots, updated right after the script that moves an entry;
 * a listing that finds an entry out of place puts it right and reads again. Batches are
 * compressed with the LevelDB codec. Nothing on any path uses KEYS or SCAN.
 */
import { Cluster, Redis } from 'ioredis';
import type { ErrorFrame, ErrorGroup, ErrorGroupDetail, ErrorGroupSession, ErrorOccurrence, Segment, SessionDigest, SettableErrorStatus } from '@sentiero/protocol';
import { type AuditEntry, type AuditHead, type AuditQuery, type TokenRecord, auditKey, chainEntry, decodeAudit, decodeHead, decodeToken, encodeAudit, encodeHead } from './audit-record.ts';
import { type DigestScanOptions, digestKey, digestRange, parseDigest, parseSegment } from './digest-record.ts';
import { eraseFromGroups, occurrenceMatches } from './erasure.ts';
import { Compression, batchText, decodeBatch, decodeBatchJson, encodeBatchText, encodeBatchTextSync } from './codec.ts';
import { GroupPageBuilder, MAX_OCCURRENCES_KEPT, byFirstSeen, culpritOf, errorCursorKey, errorPageOf, groupListKey } from './error-record.ts';
import { StoreError, StoreErrorCode } from './errors.ts';
import { PageBuilder, hex, invertedTime, listKey, lowerBound } from './list.ts';
import { type Located, batchTime, mergeByTime } from './merge.ts';
import {
  APPEND, DELETE_SESSION, GROUP_DETAIL, GROUP_OCCURRENCE, READ_CHUNK, RECORD, SESSION_ERROR, SET_STATUS, UNLINK_SESSION,
} from './redis-scripts.ts';
import { type AssetRef, decodeAssetRef, encodeAssetRef } from './asset-record.ts';
import { ASSET_SCRIPTS, assetIndexKey, assetKeys, assetRefsKey } from './redis-assets.ts';
import { EXTRA_SCRIPTS, globalKeys, sessionExtraKeys, sessionOfDigestMember, usersOf } from './redis-extra.ts';
import { MAX_LISTED_WINDOWS, MAX_PAGES, MAX_SESSION_USERS } from './session-record.ts';
import { Store } from './store.ts';
import type {
  AppendResult, BatchInput, ErrorGroupPage, ErrorGroupQuery, ErrorListQuery, ListQuery, OccurrenceErasure, OccurrenceFilter, ReadQuery, RecordErrorResult,
  SessionErrorRecord, SessionPage, SessionRecord, StoredBatch, StoredBatchJson, StoreSupports,
} from './types.ts';

/** A Redis Cluster node to start from. */
export interface RedisNode {
  host: string;
  port: number;
}

/** Options of `RedisStore`: at most one of `url`, `nodes` and `client`. */
export interface RedisStoreOptions {
  /** A single Redis server, e.g. `redis://:password@host:6379/0` (`rediss://` for TLS). Default `redis://127.0.0.1:6379` when neither `nodes` nor `client` is given. */
  url?: string;
  /** Startup nodes of a Redis Cluster. */
  nodes?: RedisNode[];
  /**
   * An `ioredis` client (`Redis` or `Cluster`) of the app's own; the store neither connects nor
   * closes it. Typed `object` (checked when the store is made) so that the store's declarations
   * do not pull ioredis's into every user's type check.
   */
  client?: object;
  /** Put before every key, so that several stores share one Redis. Default `sentiero:`; no `{` or `}`. */
  prefix?: string;
  /** How batches are compressed when written: `'brotli'` (default), `'gzip'` or `'none'`; the window codec is LevelDB's only. */
  compression?: Compression;
  /** How long `open()` waits for the server, in ms. Default 10000. */
  connectTimeoutMs?: number;
}

/** The defaults of `RedisStoreOptions`. */
export const REDIS_STORE_DEFAULTS = {
  url: 'redis://127.0.0.1:6379',
  prefix: 'sentiero:',
  compression: Compression.BROTLI,
  connectTimeoutMs: 10_000,
} as const;

const COMPRESSIONS: readonly Compression[] = [Compression.BROTLI, Compression.GZIP, Compression.NONE];

/**
 * Batches of up to this many bytes of JSON are compressed on the event loop (brotli: about
 * 1 ms at this size), larger ones on libuv's thread pool, where they cost 2–3× the CPU but
 * never hold the event loop up (`encodeBatchTextSync`).
 */
export const SYNC_ENCODE_BYTES = 64 * 1024;

/** Batches read from a window per round trip. */
const READ_CHUNK_SIZE = 64;
/** Index entries read per round trip while listing. */
const LIST_CHUNK = 128;
/** How often a listing reads again after putting an entry that was out of place right. */
const LIST_ATTEMPTS = 4;

const SCRIPTS = {
  ...EXTRA_SCRIPTS,
  ...ASSET_SCRIPTS,
  sentieroAppend: { numberOfKeys: 9, lua: APPEND },
  sentieroRecord: { numberOfKeys: 3, lua: RECORD },
  sentieroReadChunk: { numberOfKeys: 2, lua: READ_CHUNK },
  sentieroDeleteSession: { numberOfKeys: 6, lua: DELETE_SESSION },
  sentieroSessionError: { numberOfKeys: 2, lua: SESSION_ERROR },
  sentieroGroupOccurrence: { numberOfKeys: 4, lua: GROUP_OCCURRENCE },
  sentieroSetStatus: { numberOfKeys: 1, lua: SET_STATUS },
  sentieroUnlinkSession: { numberOfKeys: 3, lua: UNLINK_SESSION },
  sentieroGroupDetail: { numberOfKeys: 4, lua: GROUP_DETAIL },
} as const;

type ScriptName = keyof typeof SCRIPTS | `${keyof typeof SCRIPTS}Buffer`;
type Client = Redis | Cluster;
type Args = (string | number | Buffer)[];

/** A session's keys, all in its hash slot. */
function sessionKeys(prefix: string, sessionId: string) {
  const base = `${prefix}{${sessionId}}:`;
  return {
    base,
    record: `${base}rec`,
    listed: `${base}wl`,
    pages: `${base}pages`,
    windows: `${base}win`,
    acked: `${base}acked`,
    errors: `${base}errs`,
    seqs: (windowId: string) => `${base}seqs:${windowId}`,
    data: (windowId: string) => `${base}data:${windowId}`,
  };
}

/** An error group's keys, all in its hash slot. */
function groupKeys(prefix: string, groupId: string) {
  const base = `${prefix}g:{${groupId}}:`;
  return { group: `${base}group`, occurrences: `${base}occ`, sessions: `${base}sess`, entries: `${base}sessd` };
}

/** A Redis URL without its password, for log lines and messages. */
export function redactRedisUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//');
}

/** A time's score in the listings: ascending scores are latest first (`invertedTime` as a number). */
const scoreOf = (time: number): number => Number.parseInt(invertedTime(time), 16);

function corrupt(what: string, cause?: unknown): StoreError {
  return new StoreError(StoreErrorCode.CORRUPT, `${what} cannot be decoded`, cause === undefined ? undefined : { cause });
}

/** A flat HGETALL reply as an object. */
function fieldsOf(flat: unknown): Record<string, string> {
  if (!Array.isArray(flat)) throw corrupt('a Redis hash');
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = String(flat[i + 1]);
  return out;
}

function numberField(fields: Record<string, string>, name: string, what: string): number {
  const n = Number(fields[name]);
  if (fields[name] === undefined || !Number.isFinite(n)) throw corrupt(what);
  return n;
}

function parseJson<T>(text: string, what: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw corrupt(what, err);
  }
}

/** A session record from the `RECORD` script's reply. */
function recordOf(id: string, reply: unknown): SessionRecord {
  const [flat, windows, pages] = reply as [unknown, string[], string[]];
  const what = `the session record ${id}`;
  const f = fieldsOf(flat);
  const n = (name: string) => numberField(f, name, what);
  const startedAt = n('startedAt');
  const meta = f.mp === '1' && f.meta === '' ? { url: '', userAgent: '', startedAt } : parseJson<SessionRecord['meta']>(f.meta ?? '', what);
  return {
    id, startedAt, lastEventAt: n('lastEventAt'), lastReceivedAt: n('lastReceivedAt'), eventCount: n('eventCount'), batchCount: n('batchCount'),
    windows: windows.map(String), windowCount: n('windowCount'), meta, pages: pages.map(String), errorCount: n('errorCount'),
    droppedEvents: n('droppedEvents'), byteCount: n('byteCount'), ...usersOf(f),
  };
}

/** An error group from its hash's fields (as HGETALL's flat reply or as an object). */
function groupOf(id: string, fields: unknown): ErrorGroup {
  const f = Array.isArray(fields) ? fieldsOf(fields) : fields as Record<string, string>;
  const what = `the error group ${id}`;
  const n = (name: string) => numberField(f, name, what);
  const group: ErrorGroup = {
    id, name: f.name ?? '', message: f.message ?? '', origin: f.origin as ErrorGroup['origin'], status: f.status as ErrorGroup['status'],
    count: n('count'), sessionCount: n('sessionCount'), firstSeen: n('firstSeen'), lastSeen: n('lastSeen'),
  };
  if (f.culprit !== undefined) group.culprit = parseJson<ErrorFrame>(f.culprit, what);
  if (f.statusChangedAt !== undefined) group.statusChangedAt = n('statusChangedAt');
  if (f.regressedAt !== undefined) group.regressedAt = n('regressedAt');
  return group;
}

/** An occurrence's member in its group's sorted set: its place (time, id), then its JSON; equal scores sort by member. */
const occurrenceMember = (o: ErrorOccurrence): string => `${hex(Math.min(Math.max(Math.floor(o.timestamp), 0), Number.MAX_SAFE_INTEGER))}!${o.id}\n${JSON.stringify(o)}`;

function occurrenceOf(member: string): ErrorOccurrence {
  return parseJson<ErrorOccurrence>(member.slice(member.indexOf('\n') + 1), 'an error occurrence');
}

/** The listing's lower bound as a score and the id after which (or from which) entries of that score count. */
function boundOf(key: string | undefined, inclusive: boolean): { score: number; id: string; inclusive: boolean } | undefined {
  if (key === undefined) return undefined;
  const bang = key.indexOf('!');
  return { score: Number.parseInt(bang < 0 ? key : key.slice(0, bang), 16), id: bang < 0 ? '' : key.slice(bang + 1), inclusive };
}

/** A `Store` on Redis (`supports.persistence` is true: the data is Redis's). */
export class RedisStore extends Store {
  /** What Redis keeps outlives the relay's processes. */
  readonly supports: StoreSupports = Object.freeze({ persistence: true, analytics: true, assets: true });
  /** The prefix of every key. */
  readonly prefix: string;
  /** The compression of newly written batches. */
  readonly compression: Compression;
  /** The options the store was made with, for a new instance over the same data. */
  readonly options: Readonly<RedisStoreOptions>;

  readonly #connectTimeoutMs: number;
  #client: Client | undefined;

  /** Checks the options (a wrong one throws a `TypeError` that names it); nothing connects until `open()`. */
  constructor(options: RedisStoreOptions = {}) {
    super();
    if (typeof options !== 'object' || options === null) throw new TypeError('RedisStore: options must be an object');
    const given = (['url', 'nodes', 'client'] as const).filter((k) => options[k] !== undefined);
    if (given.length > 1) throw new TypeError(`RedisStore: give one of options.url, options.nodes and options.client, not ${given.join(' and ')}`);
    if (options.url !== undefined && (typeof options.url !== 'string' || !/^rediss?:\/\//.test(options.url))) {
      throw new TypeError('RedisStore: options.url must be a redis:// or rediss:// URL');
    }
    if (options.nodes !== undefined && (!Array.isArray(options.nodes) || options.nodes.length === 0
      || !options.nodes.every((n) => typeof n?.host === 'string' && Number.isSafeInteger(n.port) && n.port > 0 && n.port < 65536))) {
      throw new TypeError('RedisStore: options.nodes must be a non-empty array of { host, port }');
    }
    if (options.client !== undefined && !(options.client instanceof Redis || options.client instanceof Cluster)) {
      throw new TypeError('RedisStore: options.client must be an ioredis Redis or Cluster');
    }
    const prefix = options.prefix ?? REDIS_STORE_DEFAULTS.prefix;
    if (typeof prefix !== 'string' || /[{}\s]/.test(prefix)) throw new TypeError('RedisStore: options.prefix must be a string without braces or spaces');
    const compression = options.compression ?? REDIS_STORE_DEFAULTS.compression;
    if (!COMPRESSIONS.includes(compression)) throw new TypeError(`RedisStore: options.compression must be one of ${COMPRESSIONS.map((c) => `'${c}'`).join(', ')}`);
    const timeout = options.connectTimeoutMs ?? REDIS_STORE_DEFAULTS.connectTimeoutMs;
    if (!Number.isSafeInteger(timeout) || timeout < 1) throw new TypeError('RedisStore: options.connectTimeoutMs must be an integer ≥ 1');
    this.options = Object.freeze({ ...options });
    this.prefix = prefix;
    this.compression = compression;
    this.#connectTimeoutMs = timeout;
  }

  protected override async _open(): Promise<void> {
    const given = this.options.client as Client | undefined;
    const client: Client = given ?? (this.options.nodes
      ? new Cluster(this.options.nodes, { lazyConnect: true, enableAutoPipelining: true, redisOptions: { connectTimeout: this.#connectTimeoutMs } })
      : new Redis(this.options.url ?? REDIS_STORE_DEFAULTS.url, { lazyConnect: true, enableAutoPipelining: true, connectTimeout: this.#connectTimeoutMs }));
    for (const [name, definition] of Object.entries(SCRIPTS)) {
      if (!(name in client)) client.defineCommand(name, definition);
    }
    if (given) {
      this.#client = client;
      return;
    }
    // ioredis reconnects by itself; a command that cannot wait rejects on its own (as STORE_BACKEND_FAILED).
    client.on('error', () => {});
    try {
      await connect(client, this.#connectTimeoutMs);
    } catch (err) {
      client.disconnect();
      throw new StoreError(StoreErrorCode.OPEN_FAILED, `Redis at ${this.#where()} could not be reached: ${(err as Error).message}`, { cause: err });
    }
    this.#client = client;
  }

  protected override async _close(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    if (!client || client === this.options.client) return;
    await client.quit().catch(() => client.disconnect());
  }

  #where(): string {
    return this.options.nodes ? this.options.nodes.map((n) => `${n.host}:${n.port}`).join(',') : redactRedisUrl(this.options.url ?? REDIS_STORE_DEFAULTS.url);
  }

  #db(): Client {
    if (!this.#client) throw new StoreError(StoreErrorCode.NOT_OPEN, 'the store is not open');
    return this.#client;
  }

  #run<T>(name: ScriptName, ...args: Args): Promise<T> {
    const client = this.#db() as unknown as Record<string, (...a: Args) => Promise<T>>;
    return client[name]!(...args);
  }

  #sessionIndex(): string {
    return `${this.prefix}sessions`;
  }

  #groupIndex(): string {
    return `${this.prefix}error-groups`;
  }

  protected override async _append(batch: BatchInput): Promise<AppendResult> {
    const { sessionId, windowId, seq, events } = batch;
    const k = sessionKeys(this.prefix, sessionId);
    let lo = Infinity;
    let hi = -Infinity;
    for (const e of events) {
      if (e.timestamp < lo) lo = e.timestamp;
      if (e.timestamp > hi) hi = e.timestamp;
    }
    const json = Buffer.from(batchText(batch), 'utf8');
    const compression = this.compression;
    const encoded = json.length <= SYNC_ENCODE_BYTES && compression !== Compression.BROTLI_WINDOW
      ? encodeBatchTextSync(json, compression)
      : await encodeBatchText(json, compression);
    const value = Buffer.from(encoded.buffer, encoded.byteOffset, encoded.length);
    const meta = batch.meta;
    const digest = batch.digest ?? {};
    const pages = digest.pages ?? [];
    const [stored, acked, startedAt, index] = await this.#run<[number, number, string, number]>('sentieroAppend',
      k.record, k.listed, k.pages, k.windows, k.acked, k.seqs(windowId), k.data(windowId), k.errors, this.#extra(sessionId).bytes,
      windowId, String(seq), value, String(batch.receivedAt), events.length, events.length ? String(lo) : '0', events.length ? String(hi) : '0',
      meta ? JSON.stringify(meta) : '', meta && meta.url === '' && meta.userAgent === '' ? '1' : '0',
      digest.errors ?? 0, digest.dropped ?? 0, batch.bytes ?? 0, MAX_LISTED_WINDOWS, MAX_PAGES,
      value.length, MAX_SESSION_USERS, pages.length, ...pages, ...(digest.userIds ?? []));
    // The listing and the store's byte count live in slots of their own: one round trip for both, after the script.
    const after: Promise<unknown>[] = [];
    if (index === 1) after.push(this.#db().zadd(this.#sessionIndex(), 'LT', scoreOf(Number(startedAt)), sessionId));
    else if (index === 2) after.push(this.#db().zadd(this.#sessionIndex(), scoreOf(Number(startedAt)), sessionId));
    if (stored === 1) after.push(this.#db().incrby(this.#global().bytes, value.length));
    await Promise.all(after);
    return { stored: stored === 1, ackedSeq: Number(acked) };
  }

  protected override async _ackedSeq(sessionId: string, windowId: string): Promise<number> {
    const text = await this.#db().hget(sessionKeys(this.prefix, sessionId).acked, windowId);
    return text === null ? 0 : Number(text);
  }

  async #record(id: string): Promise<SessionRecord | undefined> {
    const k = sessionKeys(this.prefix, id);
    const reply = await this.#run<unknown>('sentieroRecord', k.record, k.listed, k.pages);
    return reply === null ? undefined : recordOf(id, reply);
  }

  protected override _getSession(id: string): Promise<SessionRecord | undefined> {
    return this.#record(id);
  }

  protected override async _listSessions(query: ListQuery): Promise<SessionPage> {
    const b = lowerBound(query);
    const bound = boundOf(b?.key, b?.inclusive ?? true);
    for (let attempt = 1; ; attempt++) {
      const page = new PageBuilder(query);
      const consistent = await this.#scan(this.#sessionIndex(), bound, (id) => this.#record(id), (r) => listKey(r.startedAt, r.id), (key, r) => page.offer(key, r), () => page.done);
      if (consistent || attempt === LIST_ATTEMPTS) return page.page();
    }
  }

  /**
   * Walks a listing from `bound`, fetching each entry and offering it with its key. An entry
   * whose score is not its value's (a write between a script and its index update, or two
   * such writes crossing) is put right; the walk then reports false so that the caller reads
   * again. Entries whose value is gone are skipped.
   */
  async #scan<T>(
    index: string, bound: ReturnType<typeof boundOf>, fetch: (id: string) => Promise<T | undefined>, keyOf: (v: T) => string,
    offer: (key: string, v: T) => boolean, done: () => boolean,
  ): Promise<boolean> {
    const client = this.#db();
    let consistent = true;
    for (let offset = 0; !done(); offset += LIST_CHUNK) {
      const flat = await client.zrangebyscore(index, bound?.score ?? '-inf', '+inf', 'WITHSCORES', 'LIMIT', offset, LIST_CHUNK);
      if (flat.length === 0) break;
      const entries: { id: string; score: number }[] = [];
      for (let i = 0; i < flat.length; i += 2) {
        const id = flat[i]!;
        const score = Number(flat[i + 1]);
        if (bound && score === bound.score && (bound.inclusive ? id < bound.id : id <= bound.id)) continue;
        entries.push({ id, score });
      }
      const values = await Promise.all(entries.map((e) => fetch(e.id)));
      for (let i = 0; i < entries.length; i++) {
        const v = values[i];
        if (v === undefined) continue;
        const key = keyOf(v);
        const score = Number.parseInt(key.slice(0, key.indexOf('!')), 16);
        if (score !== entries[i]!.score) {
          await client.zadd(index, 'XX', score, entries[i]!.id);
          consistent = false;
          continue;
        }
        if (!offer(key, v)) return consistent;
      }
      if (flat.length < LIST_CHUNK * 2) break;
    }
    return consistent;
  }

  protected override _readBatches(sessionId: string, query: ReadQuery): AsyncIterable<StoredBatch> {
    return this.#read(sessionId, query, (value, where) => decodeBatch(value, where), batchTime);
  }

  /** Hands each batch's events on as the JSON text stored, unparsed. */
  protected override _readBatchesJson(sessionId: string, query: ReadQuery): AsyncIterable<StoredBatchJson> {
    return this.#read(sessionId, query, (value, where) => decodeBatchJson(value, where), (b) => b.time);
  }

  async *#read<T>(sessionId: string, query: ReadQuery, decode: (value: Buffer, where: string) => Promise<T>, timeOf: (b: Located<T>) => number): AsyncGenerator<Located<T>> {
    const client = this.#db();
    const k = sessionKeys(this.prefix, sessionId);
    const only = query.windowId;
    // One window is read at once (one round trip: what the bus's followers read for each batch); a window or session that
    // is not there has no seqs either (deleting a session is one script), so reading it gives nothing.
    if (only !== undefined) {
      yield* this.#readWindow(sessionId, only, query.after.get(only) ?? 0, decode);
      return;
    }
    if ((await client.exists(k.record)) === 0) return;
    yield* mergeByTime((await client.zrange(k.windows, '0', '-1')).map((w) => this.#readWindow(sessionId, w, query.after.get(w) ?? 0, decode)), timeOf);
  }

  /** One window's batches in seq order, `READ_CHUNK_SIZE` per round trip. */
  async *#readWindow<T>(sessionId: string, windowId: string, after: number, decode: (value: Buffer, where: string) => Promise<T>): AsyncGenerator<Located<T>> {
    const k = sessionKeys(this.prefix, sessionId);
    let from = after;
    for (;;) {
      const flat = await this.#run<(Buffer | null)[]>('sentieroReadChunkBuffer', k.seqs(windowId), k.data(windowId), String(from), READ_CHUNK_SIZE);
      for (let i = 0; i < flat.length; i += 2) {
        const seq = Number(String(flat[i]));
        const value = flat[i + 1];
        from = seq;
        // A value gone between the two reads of the script cannot be: the script reads both at once. Skipped if a foreign write took it.
        if (!value) continue;
        yield { sessionId, windowId, seq, ...(await decode(value, `${sessionId}/${windowId}/${seq}`)) };
      }
      if (flat.length < READ_CHUNK_SIZE * 2) return;
    }
  }

  protected override async _deleteSession(id: string): Promise<boolean> {
    const k = sessionKeys(this.prefix, id);
    const entries = await this.#run<string[] | null>('sentieroDeleteSession', k.record, k.listed, k.pages, k.windows, k.acked, k.errors, k.base);
    if (entries === null) return false;
    await this.#db().zrem(this.#sessionIndex(), id);
    await this.#forget(id);
    await this.#db().del(assetRefsKey(this.prefix, id));
    for (const text of entries) {
      const entry = parseJson<SessionErrorRecord>(text, `an error entry of ${id}`);
      const g = groupKeys(this.prefix, entry.groupId);
      await this.#run<number>('sentieroUnlinkSession', g.group, g.sessions, g.entries, id);
    }
    return true;
  }

  protected override async _recordError(occ: ErrorOccurrence): Promise<RecordErrorResult> {
    const sid = occ.sessionId;
    let newSession = false;
    let entry: SessionErrorRecord | undefined;
    if (sid !== undefined) {
      const k = sessionKeys(this.prefix, sid);
      const [isNew, text] = await this.#run<[number, string]>('sentieroSessionError', k.record, k.errors, occ.groupId, String(occ.timestamp));
      newSession = isNew === 1;
      entry = parseJson<SessionErrorRecord>(text, `the error entry ${sid}/${occ.groupId}`);
    }
    const g = groupKeys(this.prefix, occ.groupId);
    const culprit = culpritOf(occ.frames);
    const groupSession: ErrorGroupSession | undefined = sid === undefined || !entry
      ? undefined
      : { sessionId: sid, count: entry.count, firstSeen: entry.firstSeen, lastSeen: entry.lastSeen };
    const [created, regressed, flat] = await this.#run<[number, number, unknown]>('sentieroGroupOccurrence',
      g.group, g.occurrences, g.sessions, g.entries,
      occ.name, occ.message, occ.origin, String(occ.timestamp), String(occ.receivedAt), culprit ? JSON.stringify(culprit) : '',
      sid === undefined ? '0' : '1', newSession ? '1' : '0', sid ?? '', groupSession ? JSON.stringify(groupSession) : '',
      groupSession?.count ?? 0, groupSession ? scoreOf(groupSession.lastSeen) : 0, occurrenceMember(occ), MAX_OCCURRENCES_KEPT);
    const group = groupOf(occ.groupId, flat);
    await this.#db().zadd(this.#groupIndex(), 'LT', scoreOf(group.lastSeen), group.id);
    return { group, created: created === 1, regressed: regressed === 1 };
  }

  async #group(id: string): Promise<ErrorGroup | undefined> {
    const flat = await this.#db().hgetall(groupKeys(this.prefix, id).group);
    return Object.keys(flat).length === 0 ? undefined : groupOf(id, flat);
  }

  protected override async _listErrorGroups(query: ErrorListQuery): Promise<ErrorGroupPage> {
    if (query.sessionId !== undefined) {
      const texts = await this.#db().hvals(sessionKeys(this.prefix, query.sessionId).errors);
      const ids = texts.map((t) => parseJson<SessionErrorRecord>(t, `an error entry of ${query.sessionId}`).groupId);
      const groups = await Promise.all(ids.map((id) => this.#group(id)));
      return errorPageOf(groups.filter((g): g is ErrorGroup => g !== undefined), query);
    }
    const bound = boundOf(errorCursorKey(query), false);
    for (let attempt = 1; ; attempt++) {
      const page = new GroupPageBuilder(query);
      const consistent = await this.#scan(this.#groupIndex(), bound, (id) => this.#group(id), groupListKey, (key, g) => page.offer(key, g), () => page.done);
      if (consistent || attempt === LIST_ATTEMPTS) return page.page();
    }
  }

  protected override async _getErrorGroup(id: string, query: ErrorGroupQuery): Promise<ErrorGroupDetail | undefined> {
    const g = groupKeys(this.prefix, id);
    const reply = await this.#run<[unknown, (string | null)[], string[]] | null>('sentieroGroupDetail',
      g.group, g.sessions, g.entries, g.occurrences, query.sessions, query.occurrences);
    if (reply === null) return undefined;
    const [flat, entries, members] = reply;
    const sessions = entries.filter((e): e is string => e !== null).map((e) => parseJson<ErrorGroupSession>(e, `a session of the error group ${id}`));
    return { ...groupOf(id, flat), sessions, occurrences: members.map(occurrenceOf) };
  }

  protected override async _setErrorStatus(id: string, status: SettableErrorStatus, at: number): Promise<ErrorGroup | undefined> {
    const flat = await this.#run<unknown>('sentieroSetStatus', groupKeys(this.prefix, id).group, status, String(at));
    return flat === null ? undefined : groupOf(id, flat);
  }

  protected override async _sessionErrors(sessionId: string): Promise<SessionErrorRecord[]> {
    const texts = await this.#db().hvals(sessionKeys(this.prefix, sessionId).errors);
    return texts
      .map((t) => parseJson<SessionErrorRecord>(t, `an error entry of ${sessionId}`))
      .sort(byFirstSeen);
  }

  protected override async _putSourceMap(file: string, map: string): Promise<void> {
    await this.#db().hset(`${this.prefix}source-maps`, file, map);
  }

  protected override async _getSourceMap(file: string): Promise<string | undefined> {
    return (await this.#db().hget(`${this.prefix}source-maps`, file)) ?? undefined;
  }

  // ───── Audit log and tokens, privacy, analytics (redis-extra.ts) ─────

  #global() {
    return globalKeys(this.prefix);
  }

  #extra(sessionId: string) {
    return sessionExtraKeys(sessionKeys(this.prefix, sessionId).base);
  }

  /** After a deleted session: its digest out of the index, its bytes uncounted. */
  async #forget(sessionId: string): Promise<void> {
    const x = this.#extra(sessionId);
    const [member, bytes] = await this.#run<[string, string]>('sentieroForgetSession', x.digest, x.bytes);
    if (member !== '') await this.#db().zrem(this.#global().digests, member);
    if (Number(bytes) > 0) await this.#db().decrby(this.#global().bytes, Number(bytes));
  }

  protected override async _auditHead(): Promise<AuditHead | undefined> {
    const text = await this.#db().get(this.#global().auditHead);
    return text === null ? undefined : decodeHead(text);
  }

  /**
   * Stores the entry only if it follows the head. When another relay process appended first,
   * the entry is chained again after the new head, in place: `appendAudit` resolves to this
   * very object, so its caller sees the entry as stored.
   */
  protected override async _appendAudit(entry: AuditEntry): Promise<void> {
    const g = this.#global();
    for (;;) {
      const [stored, head] = await this.#run<[number, string?]>('sentieroAuditAppend', g.auditLog, g.auditHead, entry.seq, encodeAudit(entry), encodeHead(entry));
      if (stored === 1) return;
      const { at, action, target, token, address } = entry;
      Object.assign(entry, chainEntry(head ? decodeHead(head) : undefined, { at, action, target, token, address }));
    }
  }

  protected override async _readAudit(query: AuditQuery): Promise<AuditEntry[]> {
    const max = query.before === undefined ? '+inf' : `(${query.before}`;
    const flat = await this.#db().zrevrangebyscore(this.#global().auditLog, max, '-inf', 'WITHSCORES', 'LIMIT', 0, query.limit);
    const entries: AuditEntry[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) entries.push(decodeAudit(auditKey(Number(flat[i + 1])), flat[i]!));
    return entries;
  }

  protected override async _firstAudit(limit: number): Promise<AuditEntry[]> {
    const flat = await this.#db().zrangebyscore(this.#global().auditLog, '-inf', '+inf', 'WITHSCORES', 'LIMIT', 0, limit);
    const entries: AuditEntry[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) entries.push(decodeAudit(auditKey(Number(flat[i + 1])), flat[i]!));
    return entries;
  }

  protected override async _auditBase(): Promise<AuditHead | undefined> {
    const text = await this.#db().get(this.#global().auditBase);
    return text === null ? undefined : decodeHead(text);
  }

  /** One transaction on the `{audit}` slot: the entries up to `upto` go and `upto` becomes the base. */
  protected override async _pruneAudit(upto: AuditHead): Promise<void> {
    const g = this.#global();
    const results = await this.#db().multi().zremrangebyscore(g.auditLog, '-inf', upto.seq).set(g.auditBase, encodeHead(upto)).exec();
    for (const [err] of results ?? []) if (err) throw err;
  }

  protected override async _putToken(record: TokenRecord): Promise<boolean> {
    return (await this.#db().hsetnx(this.#global().tokens, record.name, JSON.stringify(record))) === 1;
  }

  protected override async _listTokens(): Promise<TokenRecord[]> {
    const all = await this.#db().hgetall(this.#global().tokens);
    return Object.keys(all).sort().map((name) => decodeToken(name, all[name]!));
  }

  protected override async _deleteToken(name: string): Promise<boolean> {
    return (await this.#db().hdel(this.#global().tokens, name)) === 1;
  }

  /** Removes matching occurrences from each group's kept ones: a session's groups from its error entries, otherwise every group. */
  protected override async _eraseOccurrences(filter: OccurrenceFilter): Promise<OccurrenceErasure> {
    const client = this.#db();
    const groupIds = 'sessionId' in filter
      ? await client.hkeys(sessionKeys(this.prefix, filter.sessionId).errors)
      : await client.zrange(this.#groupIndex(), '0', '-1');
    return eraseFromGroups(groupIds, async (groupId) => {
      const key = groupKeys(this.prefix, groupId).occurrences;
      const gone = (await client.zrange(key, '0', '-1')).filter((m) => occurrenceMatches(occurrenceOf(m), filter));
      // ZREM of exact members: an occurrence recorded meanwhile is never lost.
      return gone.length === 0 ? 0 : client.zrem(key, ...gone);
    });
  }

  /** The listing walked from its end (oldest first, ties by id descending); an entry out of place is put right and the walk read again. */
  protected override async _oldestSessions(limit: number): Promise<SessionRecord[]> {
    const client = this.#db();
    for (let attempt = 1; ; attempt++) {
      const out: SessionRecord[] = [];
      let consistent = true;
      for (let offset = 0; out.length < limit; offset += LIST_CHUNK) {
        const flat = await client.zrevrange(this.#sessionIndex(), offset, offset + LIST_CHUNK - 1, 'WITHSCORES');
        const ids = flat.filter((_, i) => i % 2 === 0);
        const records = await Promise.all(ids.map((id) => this.#record(id)));
        for (let i = 0; i < records.length && out.length < limit; i++) {
          const r = records[i];
          if (!r) continue;
          if (scoreOf(r.startedAt) !== Number(flat[2 * i + 1])) {
            await client.zadd(this.#sessionIndex(), 'XX', scoreOf(r.startedAt), r.id);
            consistent = false;
          } else out.push(r);
        }
        if (flat.length < LIST_CHUNK * 2) break;
      }
      if (consistent || attempt === LIST_ATTEMPTS) return out;
    }
  }

  /**
   * The bytes of the stored batches as Redis holds them (compressed), counted as batches are
   * stored and sessions deleted: one GET, not a walk over every key with MEMORY USAGE. Redis's
   * own overhead per key, the records, error groups and digests are not in it.
   */
  protected override async _diskSize(): Promise<number> {
    return Math.max(0, Number((await this.#db().get(this.#global().bytes)) ?? 0));
  }

  protected override async _putDigest(digest: SessionDigest): Promise<boolean> {
    const member = digestKey(digest);
    const old = await this.#run<string | null>('sentieroPutDigest', sessionKeys(this.prefix, digest.sessionId).record, this.#extra(digest.sessionId).digest, JSON.stringify(digest), member);
    if (old === null) return false;
    if (old !== '' && old !== member) await this.#db().zrem(this.#global().digests, old);
    await this.#db().zadd(this.#global().digests, 0, member);
    return true;
  }

  protected override async _getDigest(sessionId: string): Promise<SessionDigest | undefined> {
    const text = await this.#db().hget(this.#extra(sessionId).digest, 'd');
    return text === null ? undefined : parseDigest(text, sessionId);
  }

  /**
   * Walks the index by member (start time, then session id), `LIST_CHUNK` per round trip. A
   * member that is not its digest's (a deletion or a put that crossed another) is skipped and
   * removed, then put back if a put made it current meanwhile.
   */
  protected override async *_scanDigests(range: DigestScanOptions): AsyncIterable<SessionDigest> {
    const client = this.#db();
    const index = this.#global().digests;
    const { gte, lt } = digestRange(range);
    let min = `[${gte}`;
    for (;;) {
      const members = await client.zrangebylex(index, min, `(${lt}`, 'LIMIT', 0, LIST_CHUNK);
      const values = await Promise.all(members.map((m) => client.hmget(this.#extra(sessionOfDigestMember(m)).digest, 'd', 'k')));
      for (let i = 0; i < members.length; i++) {
        const member = members[i]!;
        const [text, current] = values[i]!;
        if (text && current === member) {
          yield parseDigest(text, sessionOfDigestMember(member));
          continue;
        }
        await client.zrem(index, member);
        if ((await client.hget(this.#extra(sessionOfDigestMember(member)).digest, 'k')) === member) await client.zadd(index, 0, member);
      }
      if (members.length < LIST_CHUNK) return;
      min = `(${members.at(-1)!}`;
    }
  }

  protected override async _putSegment(segment: Segment): Promise<void> {
    await this.#db().hset(this.#global().segments, segment.id, JSON.stringify(segment));
  }

  protected override async _listSegments(): Promise<Segment[]> {
    const all = await this.#db().hgetall(this.#global().segments);
    return Object.entries(all).map(([id, text]) => parseSegment(text, id)).sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
  }

  protected override async _deleteSegment(id: string): Promise<boolean> {
    return (await this.#db().hdel(this.#global().segments, id)) === 1;
  }

  // ───── Captured assets (redis-assets.ts) ─────

  protected override async _touchAsset(hash: string, at: number): Promise<boolean> {
    const k = assetKeys(this.prefix, hash);
    if ((await this.#run<number>('sentieroTouchAsset', k.bytes, k.at, String(at))) !== 1) return false;
    await this.#db().zadd(assetIndexKey(this.prefix), at, hash);
    return true;
  }

  protected override async _putAsset(hash: string, encoded: Uint8Array, at: number): Promise<void> {
    const k = assetKeys(this.prefix, hash);
    await this.#run<number>('sentieroPutAsset', k.bytes, k.at, Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength), String(at));
    await this.#db().zadd(assetIndexKey(this.prefix), at, hash);
  }

  protected override async _getAsset(hash: string): Promise<Uint8Array | undefined> {
    return (await this.#db().getBuffer(assetKeys(this.prefix, hash).bytes)) ?? undefined;
  }

  protected override async *_assetTimes(): AsyncIterable<[string, number]> {
    // Read whole: the sweep removes members as it goes, which would shift a paged read.
    const flat = await this.#db().zrange(assetIndexKey(this.prefix), '0', '-1', 'WITHSCORES');
    for (let i = 0; i < flat.length; i += 2) yield [flat[i]!, Number(flat[i + 1])];
  }

  protected override async *_referencedAssets(): AsyncIterable<string> {
    // Every session id at once: a paged read shifted by a deletion could skip a session, and sweep bytes it still refers to.
    for (const id of await this.#db().zrange(this.#sessionIndex(), '0', '-1')) {
      for (const text of await this.#db().hvals(assetRefsKey(this.prefix, id))) {
        const hash = (JSON.parse(text) as { hash?: string }).hash;
        if (hash !== undefined) yield hash;
      }
    }
  }

  protected override async _deleteAsset(hash: string, before: number): Promise<boolean> {
    const k = assetKeys(this.prefix, hash);
    const gone = (await this.#run<number>('sentieroDeleteAsset', k.bytes, k.at, String(before))) === 1;
    if (gone) await this.#db().zrem(assetIndexKey(this.prefix), hash);
    return gone;
  }

  protected override async _putAssetRefs(sessionId: string, refs: AssetRef[]): Promise<boolean> {
    if (!refs.length) return (await this.#db().exists(sessionKeys(this.prefix, sessionId).record)) === 1;
    const args = refs.flatMap((r) => [r.url, encodeAssetRef(r)]);
    return (await this.#run<number>('sentieroPutAssetRefs', sessionKeys(this.prefix, sessionId).record, assetRefsKey(this.prefix, sessionId), ...args)) === 1;
  }

  protected override async _getAssetRef(sessionId: string, url: string): Promise<AssetRef | undefined> {
    const text = await this.#db().hget(assetRefsKey(this.prefix, sessionId), url);
    return text === null ? undefined : decodeAssetRef(url, text);
  }

  protected override async _listAssetRefs(sessionId: string): Promise<AssetRef[]> {
    const all = await this.#db().hgetall(assetRefsKey(this.prefix, sessionId));
    return Object.entries(all).map(([url, text]) => decodeAssetRef(url, text));
  }
}

/** Connects an `ioredis` client made with `lazyConnect`, giving up after `timeoutMs`. */
async function connect(client: Client, timeoutMs: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([client.connect(), timeout]);
    await Promise.race([client.ping(), timeout]);
  } finally {
    clearTimeout(timer);
  }

}
