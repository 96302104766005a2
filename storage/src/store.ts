/**
 * The abstract `Store`, in the manner of abstract-level: public methods check the lifecycle
 * and their arguments, then call a protected hook (`append()` → `_append()`); a backend
 * overrides only the hooks and declares what it `supports`. Every rejection is a
 * `StoreError` with a documented code.
 */
import type { ErrorGroup, ErrorGroupDetail, ErrorOccurrence, Segment, SessionDigest, SettableErrorStatus } from '@sentiero/protocol';
import {
  type AuditEntry, type AuditHead, type AuditInput, type AuditPage, type AuditQuery, type AuditReadOptions, type AuditVerdict, type TokenRecord,
  MAX_AUDIT_LIMIT, chainEntry, checkAuditInput, checkAuditReadOptions, checkTokenName, checkTokenRecord, verifyChain,
} from './audit-record.ts';
import {
  type AssetInput, type AssetRef, type StoredAsset, assetHash, checkAsset, checkAssetHash, checkAssetRefs, checkAssetUrl, decodeAsset, encodeAsset,
} from './asset-record.ts';
import { type DigestScanOptions, checkDigest, checkScan, checkSegment } from './digest-record.ts';
import { StoreError, StoreErrorCode } from './errors.ts';
import { batchTime } from './merge.ts';
import type {
  AppendResult, BatchInput, ErrorGroupOptions, ErrorGroupPage, ErrorGroupQuery, ErrorListOptions, ErrorListQuery, ListOptions,
  ListQuery, OccurrenceErasure, OccurrenceFilter, ReadOptions, ReadQuery, RecordErrorResult, SessionErasure, SessionErrorRecord, SessionPage,
  SessionRecord, StoreStatus, StoredBatch, StoredBatchJson, StoreSupports,
} from './types.ts';
import {
  checkBatch, checkErrorGroupOptions, checkErrorListOptions, checkId, checkLimit, checkListOptions, checkOccurrence, checkOccurrenceFilter, checkReadOptions,
  checkSettableStatus, checkSourceMapFile, checkSourceMapText, checkTime,
} from './validate.ts';

function notOpen(cause?: unknown): StoreError {
  return new StoreError(StoreErrorCode.NOT_OPEN, 'the store is not open', cause === undefined ? undefined : { cause });
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function backendFailed(what: string, err: unknown): StoreError {
  if (err instanceof StoreError) return err;
  return new StoreError(StoreErrorCode.BACKEND_FAILED, `${what} failed: ${messageOf(err)}`, { cause: err });
}

const ignore = (): void => {};

const unsupported = (what: string): StoreError => new StoreError(StoreErrorCode.NOT_SUPPORTED, `this store keeps no ${what}`);

/**
 * A store of sessions and their event batches. Construct a backend, `await open()`, use it,
 * `await close()`. Calls made while it is not open (including while it is opening) reject
 * with `STORE_NOT_OPEN`; `close()` waits for the calls in flight to settle.
 */
export abstract class Store {
  /** What this backend supports; the conformance suite skips what is declared unsupported. */
  abstract readonly supports: StoreSupports;

  #status: StoreStatus = 'closed';
  #transition: Promise<void> | undefined;
  #generation = 0;
  readonly #inflight = new Set<Promise<unknown>>();
  /** The last audit append queued: appends chain one after another. */
  #auditTail: Promise<unknown> = Promise.resolve();

  /** The lifecycle status: `'opening'`, `'open'`, `'closing'` or `'closed'` (the initial one). */
  get status(): StoreStatus {
    return this.#status;
  }

  /**
   * Opens the store. Idempotent: resolves at once when open, joins an open in progress, and
   * waits for a close in progress before opening again. Rejects with `STORE_OPEN_FAILED`
   * (the status is then `'closed'`).
   */
  async open(): Promise<void> {
    for (;;) {
      const status = this.#status;
      if (status === 'open') return;
      if (status === 'opening') return this.#transition;
      if (status === 'closing') {
        await this.#transition?.catch(ignore);
        continue;
      }
      this.#status = 'opening';
      this.#transition = this.#doOpen();
      return this.#transition;
    }
  }

  async #doOpen(): Promise<void> {
    try {
      await this._open();
    } catch (err) {
      this.#status = 'closed';
      if (err instanceof StoreError && err.code === StoreErrorCode.OPEN_FAILED) throw err;
      throw new StoreError(StoreErrorCode.OPEN_FAILED, `the store could not be opened: ${messageOf(err)}`, { cause: err });
    }
    this.#generation++;
    this.#status = 'open';
  }

  /**
   * Closes the store once the calls in flight have settled. Idempotent: resolves at once when
   * closed, joins a close in progress, and waits for an open in progress before closing.
   * Streams from `readBatches` end with `STORE_NOT_OPEN` on their next step.
   */
  async close(): Promise<void> {
    for (;;) {
      const status = this.#status;
      if (status === 'closed') return;
      if (status === 'closing') return this.#transition;
      if (status === 'opening') {
        await this.#transition?.catch(ignore);
        continue;
      }
      this.#status = 'closing';
      this.#transition = this.#doClose();
      return this.#transition;
    }
  }

  async #doClose(): Promise<void> {
    await Promise.allSettled(this.#inflight);
    try {
      await this._close();
    } catch (err) {
      throw backendFailed('close', err);
    } finally {
      this.#status = 'closed';
    }
  }

  #assertOpen(): void {
    if (this.#status !== 'open') throw notOpen();
  }

  #track<T>(what: string, op: () => Promise<T>): Promise<T> {
    const p = (async () => {
      try {
        return await op();
      } catch (err) {
        throw backendFailed(what, err);
      }
    })();
    this.#inflight.add(p);
    const drop = (): void => { this.#inflight.delete(p); };
    p.then(drop, drop);
    return p;
  }

  /**
   * Stores a batch, idempotently on `(sessionId, windowId, seq)`: a batch already stored is
   * not stored again (`stored: false`) and changes nothing. Seqs may arrive out of order;
   * `ackedSeq` in the result is the window's contiguous prefix after this call.
   */
  async append(batch: BatchInput): Promise<AppendResult> {
    this.#assertOpen();
    const input = checkBatch(batch);
    return this.#track('append', () => this._append(input));
  }

  /** The highest seq of the window such that every seq from 1 to it is stored; 0 when none is. */
  async ackedSeq(sessionId: string, windowId: string): Promise<number> {
    this.#assertOpen();
    const sid = checkId(sessionId, 'sessionId');
    const wid = checkId(windowId, 'windowId');
    return this.#track('ackedSeq', () => this._ackedSeq(sid, wid));
  }

  /** The session's record, or undefined when there is no such session. */
  async getSession(id: string): Promise<SessionRecord | undefined> {
    this.#assertOpen();
    const sid = checkId(id, 'id');
    return this.#track('getSession', () => this._getSession(sid));
  }

  /** A page of sessions matching the filters, newest `startedAt` first (ties by id); default limit 50, at most 500. */
  async listSessions(options?: ListOptions): Promise<SessionPage> {
    this.#assertOpen();
    const query = checkListOptions(options);
    return this.#track('listSessions', () => this._listSessions(query));
  }

  /**
   * The session's batches as a stream: each window's in seq order, windows merged by each
   * batch's first event timestamp (`receivedAt` for a batch without events). Nothing for an
   * unknown session. Errors, including `STORE_NOT_OPEN`, reject the stream's next step.
   */
  readBatches(sessionId: string, options?: ReadOptions): AsyncIterable<StoredBatch> {
    return this.#stream('readBatches', sessionId, options, (sid, query) => this._readBatches(sid, query));
  }

  /**
   * `readBatches` with each batch's events as the JSON text of their array: what the relay
   * sends on as it is. A backend that keeps batches as JSON hands that text over without
   * parsing it (`LevelStore`, `MemoryStore`); others get `JSON.stringify` of `readBatches`.
   */
  readBatchesJson(sessionId: string, options?: ReadOptions): AsyncIterable<StoredBatchJson> {
    return this.#stream('readBatchesJson', sessionId, options, (sid, query) => this._readBatchesJson(sid, query));
  }

  async *#stream<B>(name: string, sessionId: string, options: ReadOptions | undefined, read: (sid: string, query: ReadQuery) => AsyncIterable<B>): AsyncGenerator<B> {
    this.#assertOpen();
    const sid = checkId(sessionId, 'sessionId');
    const query = checkReadOptions(options);
    const generation = this.#generation;
    const current = (): boolean => this.#status === 'open' && this.#generation === generation;
    const source = read(sid, query)[Symbol.asyncIterator]();
    try {
      for (;;) {
        let step: IteratorResult<B>;
        try {
          step = await source.next();
        } catch (err) {
          throw current() ? backendFailed(name, err) : notOpen(err);
        }
        if (step.done) return;
        if (!current()) throw notOpen();
        yield step.value;
      }
    } finally {
      // The stream is over either way; a backend that fails to release it after a close has nothing left to release.
      await Promise.resolve(source.return?.()).catch(ignore);
    }
  }

  /**
   * Removes the session, its batches, its index entries, its error entries, its error
   * occurrences (its groups and their counts stay) and its analytics digest; resolves to
   * whether it existed.
   */
  async deleteSession(id: string): Promise<boolean> {
    return (await this.eraseSession(id)) !== undefined;
  }

  // Privacy: erasure, retention and size (the relay's relay/src/privacy/*.ts run over these hooks).

  /**
   * `deleteSession` with a report of what went: the session's batches and events, and its
   * error occurrences. Undefined when there was no such session (its occurrences, if any, are
   * removed all the same).
   */
  async eraseSession(id: string): Promise<SessionErasure | undefined> {
    this.#assertOpen();
    const sid = checkId(id, 'id');
    return this.#track('eraseSession', async () => {
      const record = await this._getSession(sid);
      const errors = await this._eraseOccurrences({ sessionId: sid });
      const existed = await this._deleteSession(sid);
      if (!existed || !record) return undefined;
      return { batches: record.batchCount, events: record.eventCount, ...errors };
    });
  }

  /**
   * Removes the error occurrences of a session, those of a user (whose `user.id`, `email` or
   * `username` is the given id), or those received before a time: the groups keep their
   * counts and status, and no longer hold those occurrences.
   */
  async eraseOccurrences(filter: OccurrenceFilter): Promise<OccurrenceErasure> {
    this.#assertOpen();
    const f = checkOccurrenceFilter(filter);
    return this.#track('eraseOccurrences', () => this._eraseOccurrences(f));
  }

  /** The `limit` (1–500) sessions that started first, oldest first (ties by id, descending): what a quota prunes first. */
  async oldestSessions(limit: number): Promise<SessionRecord[]> {
    this.#assertOpen();
    const n = checkLimit(limit, 'limit');
    return this.#track('oldestSessions', () => this._oldestSessions(n));
  }

  /** How many bytes the store takes: the files of its folder on disk, or what a memory backend holds. */
  async diskSize(): Promise<number> {
    this.#assertOpen();
    return this.#track('diskSize', () => this._diskSize());
  }

  /** Gives the space of deleted data back (LevelDB compacts its files); a backend with nothing to reclaim does nothing. */
  async compact(): Promise<void> {
    this.#assertOpen();
    return this.#track('compact', () => this._compact());
  }

  /**
   * Records one occurrence of an error in the group its `groupId` names, creating the group
   * on its first occurrence: counts, first and last seen, the sessions it happened in (with
   * the times in each), and `regressed` when the group was resolved. An occurrence with a
   * `sessionId` adds one to that session's `errorCount` (also when the session's first batch
   * comes later). Each call counts: the caller records an occurrence once.
   */
  async recordError(occurrence: ErrorOccurrence): Promise<RecordErrorResult> {
    this.#assertOpen();
    const occ = checkOccurrence(occurrence);
    return this.#track('recordError', () => this._recordError(occ));
  }

  /** A page of error groups, most recently seen first (ties by id); filters `status`, `sessionId`, `query`; default limit 50, at most 500. */
  async listErrorGroups(options?: ErrorListOptions): Promise<ErrorGroupPage> {
    this.#assertOpen();
    const query = checkErrorListOptions(options);
    return this.#track('listErrorGroups', () => this._listErrorGroups(query));
  }

  /** One group with its sessions (most recently affected first) and recent occurrences (newest first), or undefined. */
  async getErrorGroup(id: string, options?: ErrorGroupOptions): Promise<ErrorGroupDetail | undefined> {
    this.#assertOpen();
    const gid = checkId(id, 'id');
    const query = checkErrorGroupOptions(options);
    return this.#track('getErrorGroup', () => this._getErrorGroup(gid, query));
  }

  /** Sets a group's status (`unresolved`, `resolved` or `ignored`) as of `at` (default now); resolves to the group after, or undefined when unknown. */
  async setErrorStatus(id: string, status: SettableErrorStatus, at: number = Date.now()): Promise<ErrorGroup | undefined> {
    this.#assertOpen();
    const gid = checkId(id, 'id');
    const s = checkSettableStatus(status);
    const time = checkTime(at, 'at');
    return this.#track('setErrorStatus', () => this._setErrorStatus(gid, s, time));
  }

  /** The error groups a session had, in the order they first happened (ties by group id); empty for an unknown session. */
  async sessionErrors(sessionId: string): Promise<SessionErrorRecord[]> {
    this.#assertOpen();
    const sid = checkId(sessionId, 'sessionId');
    return this.#track('sessionErrors', () => this._sessionErrors(sid));
  }

  /** Stores a source map under the minified file's path or URL, replacing any before. */
  async putSourceMap(file: string, map: string): Promise<void> {
    this.#assertOpen();
    const f = checkSourceMapFile(file);
    const text = checkSourceMapText(map);
    return this.#track('putSourceMap', () => this._putSourceMap(f, text));
  }

  /** The source map stored under `file`, or undefined. */
  async getSourceMap(file: string): Promise<string | undefined> {
    this.#assertOpen();
    const f = checkSourceMapFile(file);
    return this.#track('getSourceMap', () => this._getSourceMap(f));
  }

  // Audit log and tokens (access): an append-only, hash-chained log; tokens created through the relay's API, kept as hashes.

  /**
   * Appends an entry to the audit log, chained to the one before it (`seq`, `prev`, `hash`);
   * appends run one at a time, in call order. Resolves to the entry as stored.
   */
  async appendAudit(entry: AuditInput): Promise<AuditEntry> {
    this.#assertOpen();
    const input = checkAuditInput(entry);
    const before = this.#auditTail;
    const run = this.#track('appendAudit', async () => {
      await before.catch(ignore);
      const next = chainEntry(await this._auditHead(), input);
      await this._appendAudit(next);
      return next;
    });
    this.#auditTail = run;
    return run;
  }

  /** A page of the audit log, newest first: entries below `before`; default limit 100, at most 1000. */
  async readAudit(options?: AuditReadOptions): Promise<AuditPage> {
    this.#assertOpen();
    const query = checkAuditReadOptions(options);
    return this.#track('readAudit', async () => {
      const entries = await this._readAudit(query);
      const last = entries.at(-1);
      return entries.length === query.limit && last && last.seq > 1 ? { entries, next: last.seq } : { entries };
    });
  }

  /** Checks the whole chain: names every entry edited, removed or replaced since it was written. Never rejects for a damaged entry (it is a problem found). */
  async verifyAudit(): Promise<AuditVerdict> {
    this.#assertOpen();
    return this.#track('verifyAudit', async () => {
      const [head, base] = await Promise.all([this._auditHead(), this._auditBase()]);
      return verifyChain(head, (before) => this._readAudit({ before, limit: MAX_AUDIT_LIMIT }), base);
    });
  }

  /**
   * Audit retention: removes the oldest entries written before `before` (ms since epoch), in
   * seq order, up to the first one written at or after it, and keeps the last one removed as
   * the chain's base (`verifyAudit` then starts from it). Runs in turn with the appends.
   * Resolves to how many entries went.
   */
  async pruneAudit(before: number): Promise<number> {
    this.#assertOpen();
    const until = checkTime(before, 'before');
    const queued = this.#auditTail;
    const run = this.#track('pruneAudit', async () => {
      await queued.catch(ignore);
      let removed = 0;
      for (;;) {
        const oldest = await this._firstAudit(MAX_AUDIT_LIMIT);
        let n = 0;
        while (n < oldest.length && oldest[n]!.at < until) n++;
        if (n === 0) return removed;
        const last = oldest[n - 1]!;
        await this._pruneAudit({ seq: last.seq, hash: last.hash });
        removed += n;
        if (n < oldest.length) return removed;
      }
    });
    this.#auditTail = run;
    return run;
  }

  /** Keeps a token (its hash, never the token); resolves to false, keeping nothing, when the name is taken. */
  async putToken(record: TokenRecord): Promise<boolean> {
    this.#assertOpen();
    const r = checkTokenRecord(record);
    return this.#track('putToken', () => this._putToken(r));
  }

  /** Every token kept, by name. */
  async listTokens(): Promise<TokenRecord[]> {
    this.#assertOpen();
    return this.#track('listTokens', () => this._listTokens());
  }

  /** Forgets a token; resolves to whether there was one. */
  async deleteToken(name: string): Promise<boolean> {
    this.#assertOpen();
    const n = checkTokenName(name);
    return this.#track('deleteToken', () => this._deleteToken(n));
  }

  /** See `appendAudit`: the newest entry's seq and hash, or undefined for an empty log. */
  protected abstract _auditHead(): Promise<AuditHead | undefined>;

  /** See `appendAudit`: stores the entry and makes it the head, in one atomic write. */
  protected abstract _appendAudit(entry: AuditEntry): Promise<void>;

  /** See `readAudit`: up to `query.limit` entries below `query.before`, newest first; a damaged entry is `STORE_CORRUPT` naming it. */
  protected abstract _readAudit(query: AuditQuery): Promise<AuditEntry[]>;

  /** See `pruneAudit`: the `limit` oldest entries kept, oldest first. */
  protected abstract _firstAudit(limit: number): Promise<AuditEntry[]>;

  /** See `pruneAudit`: the last entry retention removed (its seq and hash), or undefined. */
  protected abstract _auditBase(): Promise<AuditHead | undefined>;

  /** See `pruneAudit`: removes every entry up to `upto.seq` and makes `upto` the base, in one atomic write. */
  protected abstract _pruneAudit(upto: AuditHead): Promise<void>;

  /** See `putToken`; must not keep two tokens of one name. */
  protected abstract _putToken(record: TokenRecord): Promise<boolean>;

  /** See `listTokens`. */
  protected abstract _listTokens(): Promise<TokenRecord[]>;

  /** See `deleteToken`. */
  protected abstract _deleteToken(name: string): Promise<boolean>;

  // ───── Analytics: per-session digests and saved segments ─────

  /**
   * Stores a session's analytics digest, replacing the one before. Resolves to false, storing
   * nothing, when there is no such session (so that a digest written after a deletion never
   * brings the session back). Rejects a digest that is not one with `STORE_INVALID_ARGUMENT`.
   */
  async putDigest(digest: SessionDigest): Promise<boolean> {
    this.#assertOpen();
    const d = checkDigest(digest);
    return this.#track('putDigest', () => this._putDigest(d));
  }

  /** The session's digest, or undefined. */
  async getDigest(sessionId: string): Promise<SessionDigest | undefined> {
    this.#assertOpen();
    const sid = checkId(sessionId, 'sessionId');
    return this.#track('getDigest', () => this._getDigest(sid));
  }

  /** The digests whose `startedAt` is within [`from`, `to`] (both optional), oldest first (ties by session id), as a stream. */
  async *scanDigests(options?: DigestScanOptions): AsyncGenerator<SessionDigest> {
    this.#assertOpen();
    const range = checkScan(options);
    const generation = this.#generation;
    const source = this._scanDigests(range)[Symbol.asyncIterator]();
    try {
      for (;;) {
        let step: IteratorResult<SessionDigest>;
        try {
          step = await source.next();
        } catch (err) {
          throw backendFailed('scanDigests', err);
        }
        if (step.done) return;
        if (this.#status !== 'open' || this.#generation !== generation) throw notOpen();
        yield step.value;
      }
    } finally {
      await Promise.resolve(source.return?.()).catch(ignore);
    }
  }

  /** Stores a saved segment under its id, replacing any before. */
  async putSegment(segment: Segment): Promise<void> {
    this.#assertOpen();
    const s = checkSegment(segment);
    return this.#track('putSegment', () => this._putSegment(s));
  }

  /** The saved segments, oldest first. */
  async listSegments(): Promise<Segment[]> {
    this.#assertOpen();
    return this.#track('listSegments', () => this._listSegments());
  }

  /** Removes a saved segment; resolves to whether it existed. */
  async deleteSegment(id: string): Promise<boolean> {
    this.#assertOpen();
    const sid = checkId(id, 'id');
    return this.#track('deleteSegment', () => this._deleteSegment(sid));
  }

  /** See `putDigest`; must not store a digest of a session that does not exist, also when a deletion runs at the same time. The default rejects with `STORE_NOT_SUPPORTED`. */
  protected async _putDigest(_digest: SessionDigest): Promise<boolean> {
    throw unsupported('analytics digests');
  }

  /** See `getDigest`. The default rejects with `STORE_NOT_SUPPORTED`. */
  protected async _getDigest(_sessionId: string): Promise<SessionDigest | undefined> {
    throw unsupported('analytics digests');
  }

  /** See `scanDigests`; must stream. The default rejects with `STORE_NOT_SUPPORTED`. */
  protected async *_scanDigests(_range: DigestScanOptions): AsyncIterable<SessionDigest> {
    throw unsupported('analytics digests');
  }

  /** See `putSegment`. The default rejects with `STORE_NOT_SUPPORTED`. */
  protected async _putSegment(_segment: Segment): Promise<void> {
    throw unsupported('saved segments');
  }

  /** See `listSegments`. The default rejects with `STORE_NOT_SUPPORTED`. */
  protected async _listSegments(): Promise<Segment[]> {
    throw unsupported('saved segments');
  }

  /** See `deleteSegment`. The default rejects with `STORE_NOT_SUPPORTED`. */
  protected async _deleteSegment(_id: string): Promise<boolean> {
    throw unsupported('saved segments');
  }

  // ───── end of analytics ─────

  // ───── Captured assets: content-addressed asset bytes, and each session's URL → hash map (asset-record.ts) ─────

  /**
   * Keeps an asset's bytes once, under their SHA-256 (text types brotli-compressed, others as
   * they are); resolves to the hash. Keeping the same bytes again changes nothing.
   */
  async putAsset(asset: AssetInput): Promise<string> {
    this.#assertOpen();
    const a = checkAsset(asset);
    return this.#track('putAsset', async () => {
      const hash = assetHash(a.body);
      const now = Date.now();
      if (!(await this._touchAsset(hash, now))) await this._putAsset(hash, await encodeAsset(a), now);
      return hash;
    });
  }

  /** The asset kept under `hash` (its type and bytes), or undefined. */
  async getAsset(hash: string): Promise<StoredAsset | undefined> {
    this.#assertOpen();
    const h = checkAssetHash(hash);
    return this.#track('getAsset', async () => {
      const bytes = await this._getAsset(h);
      return bytes === undefined ? undefined : decodeAsset(h, bytes);
    });
  }

  /**
   * Records what a session saw at some URLs (a hash, or the code of a failed capture), replacing
   * what it had for those URLs. Resolves to false, keeping nothing, when there is no such session
   * (a capture that ends after an erasure never brings refs back). Erasing the session removes them.
   */
  async putAssetRefs(sessionId: string, refs: AssetRef[]): Promise<boolean> {
    this.#assertOpen();
    const sid = checkId(sessionId, 'sessionId');
    const list = checkAssetRefs(refs);
    return this.#track('putAssetRefs', () => this._putAssetRefs(sid, list));
  }

  /** What the session saw at `url`, or undefined when nothing was recorded for it. */
  async getAssetRef(sessionId: string, url: string): Promise<AssetRef | undefined> {
    this.#assertOpen();
    const sid = checkId(sessionId, 'sessionId');
    const u = checkAssetUrl(url);
    return this.#track('getAssetRef', () => this._getAssetRef(sid, u));
  }

  /** Every ref of the session, by URL. */
  async listAssetRefs(sessionId: string): Promise<AssetRef[]> {
    this.#assertOpen();
    const sid = checkId(sessionId, 'sessionId');
    return this.#track('listAssetRefs', async () => (await this._listAssetRefs(sid)).sort((a, b) => (a.url < b.url ? -1 : a.url > b.url ? 1 : 0)));
  }

  /**
   * Removes the bytes of every asset that no session refers to and that was last kept (by
   * `putAsset`) before `before` (ms since epoch); resolves to how many went. The time guards
   * a capture in progress, whose bytes are kept before its ref is written: sweep with a
   * `before` well in the past (the relay uses a day).
   */
  async sweepAssets(before: number): Promise<number> {
    this.#assertOpen();
    const until = checkTime(before, 'before');
    return this.#track('sweepAssets', async () => {
      const referenced = new Set<string>();
      for await (const hash of this._referencedAssets()) referenced.add(hash);
      let removed = 0;
      for await (const [hash, at] of this._assetTimes()) {
        if (at < until && !referenced.has(hash) && (await this._deleteAsset(hash, until))) removed++;
      }
      return removed;
    });
  }

  /** See `putAsset`: when bytes are kept under `hash`, sets their time to `at` and resolves to true; else false. The default rejects with `STORE_NOT_SUPPORTED`. */
  protected async _touchAsset(_hash: string, _at: number): Promise<boolean> {
    throw unsupported('captured assets');
  }

  /** See `putAsset`: keeps the encoded asset under `hash` (the same hash always comes with the same bytes), with its time. The default rejects with `STORE_NOT_SUPPORTED`. */
  protected async _putAsset(_hash: string, _encoded: Uint8Array, _at: number): Promise<void> {
    throw unsupported('captured assets');
  }

  /** See `sweepAssets`: every asset kept, with its time (may stream). The default rejects with `STORE_NOT_SUPPORTED`. */
  protected async *_assetTimes(): AsyncIterable<[string, number]> {
    throw unsupported('captured assets');
  }

  /** See `sweepAssets`: the hash of every ref of every session (repeats allowed). The default rejects with `STORE_NOT_SUPPORTED`. */
  protected async *_referencedAssets(): AsyncIterable<string> {
    throw unsupported('captured assets');
  }

  /** See `sweepAssets`: removes the asset if its time is still before `before` (a `putAsset` since keeps it); resolves to whether it went. The default rejects with `STORE_NOT_SUPPORTED`. */
  protected async _deleteAsset(_hash: string, _before: number): Promise<boolean> {
    throw unsupported('captured assets');
  }

  /** See `getAsset`: the encoded asset, or undefined. The default rejects with `STORE_NOT_SUPPORTED`. */
  protected async _getAsset(_hash: string): Promise<Uint8Array | undefined> {
    throw unsupported('captured assets');
  }

  /** See `putAssetRefs`; must not keep refs of a session that does not exist, also when a deletion runs at the same time. The default rejects with `STORE_NOT_SUPPORTED`. */
  protected async _putAssetRefs(_sessionId: string, _refs: AssetRef[]): Promise<boolean> {
    throw unsupported('captured assets');
  }

  /** See `getAssetRef`. The default rejects with `STORE_NOT_SUPPORTED`. */
  protected async _getAssetRef(_sessionId: string, _url: string): Promise<AssetRef | undefined> {
    throw unsupported('captured assets');
  }

  /** See `listAssetRefs`, in any order. The default rejects with `STORE_NOT_SUPPORTED`. */
  protected async _listAssetRefs(_sessionId: string): Promise<AssetRef[]> {
    throw unsupported('captured assets');
  }

  // ───── end of captured assets ─────

  /** Opens the backend's resources. The default does nothing. */
  protected async _open(): Promise<void> {}

  /** Releases the backend's resources; called once the calls in flight have settled. The default does nothing. */
  protected async _close(): Promise<void> {}

  /** Stores a validated batch (see `append`); must be idempotent and must not lose concurrent updates of a session. */
  protected abstract _append(batch: BatchInput): Promise<AppendResult>;

  /** See `ackedSeq`; the ids are valid. */
  protected abstract _ackedSeq(sessionId: string, windowId: string): Promise<number>;

  /** See `getSession`; returns a copy the caller may change. */
  protected abstract _getSession(id: string): Promise<SessionRecord | undefined>;

  /** See `listSessions`; `query.limit` is filled in, the cursor is the backend's own (or `STORE_INVALID_ARGUMENT`). */
  protected abstract _listSessions(query: ListQuery): Promise<SessionPage>;

  /** See `readBatches`; must stream, and release its resources when the consumer stops early. */
  protected abstract _readBatches(sessionId: string, query: ReadQuery): AsyncIterable<StoredBatch>;

  /** See `readBatchesJson`; by default `_readBatches` with the events stringified. */
  protected async *_readBatchesJson(sessionId: string, query: ReadQuery): AsyncIterable<StoredBatchJson> {
    for await (const b of this._readBatches(sessionId, query)) {
      yield { sessionId: b.sessionId, windowId: b.windowId, seq: b.seq, receivedAt: b.receivedAt, eventsJson: JSON.stringify(b.events), time: batchTime(b) };
    }
  }

  /**
   * See `deleteSession`. Also forgets the session's error entries and takes it out of its
   * groups' sessions (`sessionCount` goes down); the groups' counts and occurrences stay.
   */
  protected abstract _deleteSession(id: string): Promise<boolean>;

  /** See `eraseOccurrences`; must not lose a concurrent `recordError` of the same group. */
  protected abstract _eraseOccurrences(filter: OccurrenceFilter): Promise<OccurrenceErasure>;

  /** See `oldestSessions`. */
  protected abstract _oldestSessions(limit: number): Promise<SessionRecord[]>;

  /** See `diskSize`. */
  protected abstract _diskSize(): Promise<number>;

  /** See `compact`. The default does nothing. */
  protected async _compact(): Promise<void> {}

  /** See `recordError`; must not lose concurrent updates of a group or of a session. */
  protected abstract _recordError(occurrence: ErrorOccurrence): Promise<RecordErrorResult>;

  /** See `listErrorGroups`; `query.limit` is filled in, the cursor is the backend's own (or `STORE_INVALID_ARGUMENT`). */
  protected abstract _listErrorGroups(query: ErrorListQuery): Promise<ErrorGroupPage>;

  /** See `getErrorGroup`; both counts in `query` are filled in. */
  protected abstract _getErrorGroup(id: string, query: ErrorGroupQuery): Promise<ErrorGroupDetail | undefined>;

  /** See `setErrorStatus`. */
  protected abstract _setErrorStatus(id: string, status: SettableErrorStatus, at: number): Promise<ErrorGroup | undefined>;

  /** See `sessionErrors`. */
  protected abstract _sessionErrors(sessionId: string): Promise<SessionErrorRecord[]>;

  /** See `putSourceMap`. */
  protected abstract _putSourceMap(file: string, map: string): Promise<void>;

  /** See `getSourceMap`. */
  protected abstract _getSourceMap(file: string): Promise<string | undefined>;
}
