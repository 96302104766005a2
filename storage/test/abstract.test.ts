/**
 * The abstract layer on its own: the conformance suite against a minimal backend written
 * only for this test, and the lifecycle, validation and error mapping that `Store` owns.
 */
import assert from 'node:assert/strict';
import { Store, StoreError, StoreErrorCode } from '@sentiero/storage';
import type { ErrorGroup, ErrorGroupDetail, ErrorOccurrence, SettableErrorStatus } from '@sentiero/protocol';
import type {
  AppendResult, BatchInput, ErrorGroupPage, ErrorGroupQuery, ErrorListQuery, ListQuery, OccurrenceErasure, OccurrenceFilter, ReadQuery, RecordErrorResult,
  SessionErrorRecord, SessionPage, SessionRecord, StoredBatch, StoreSupports, TokenRecord,
} from '@sentiero/storage';
import { runStoreConformance } from '@sentiero/storage/conformance';
import { oldestOf, pageOf } from '../src/list.ts';
import type { AuditEntry, AuditHead, AuditQuery } from '../src/audit-record.ts';
import { MemoryAudit } from '../src/memory-audit.ts';
import { MemoryErrors } from '../src/memory-errors.ts';
import { batchTime, mergeByTime } from '../src/merge.ts';
import { SeqSet, applyBatch } from '../src/session-record.ts';

interface TinySession {
  record: SessionRecord;
  /** In the order they were first stored. */
  windows: Map<string, SeqSet>;
  batches: StoredBatch[];
}

/** The smallest backend that passes the suite: one Map, JSON copies, the shared bookkeeping. Every hook call is logged. */
class TinyStore extends Store {
  readonly supports: StoreSupports = { persistence: false };
  readonly calls: string[] = [];
  /** Set to make the next matching hook fail or wait. */
  failOn: string | undefined;
  failWith: unknown = new Error('disk on fire');
  gate: Promise<void> | undefined;
  lastListQuery: ListQuery | undefined;
  streamReleased = false;
  readonly #sessions = new Map<string, TinySession>();
  readonly #errors = new MemoryErrors();
  readonly #audit = new MemoryAudit();

  async #hook(name: string): Promise<void> {
    this.calls.push(name);
    if (this.gate) await this.gate;
    if (this.failOn === name) throw this.failWith;
  }

  protected override async _open(): Promise<void> {
    await this.#hook('open');
  }

  protected override async _close(): Promise<void> {
    await this.#hook('close');
  }

  protected override async _append(batch: BatchInput): Promise<AppendResult> {
    await this.#hook('append');
    const session = this.#sessions.get(batch.sessionId);
    const seqs = session?.windows.get(batch.windowId);
    if (seqs?.has(batch.seq)) return { stored: false, ackedSeq: seqs.acked };
    const next = seqs ?? new SeqSet();
    next.add(batch.seq);
    const stored = JSON.parse(JSON.stringify({ sessionId: batch.sessionId, windowId: batch.windowId, seq: batch.seq, events: batch.events, receivedAt: batch.receivedAt })) as StoredBatch;
    const target: TinySession = session ?? { record: applyBatch(undefined, batch, true), windows: new Map(), batches: [] };
    if (!session) target.record.errorCount += this.#errors.countOf(batch.sessionId);
    if (session) target.record = applyBatch(session.record, batch, !seqs);
    target.windows.set(batch.windowId, next);
    target.batches.push(stored);
    this.#sessions.set(batch.sessionId, target);
    return { stored: true, ackedSeq: next.acked };
  }

  protected override async _ackedSeq(sessionId: string, windowId: string): Promise<number> {
    await this.#hook('ackedSeq');
    return this.#sessions.get(sessionId)?.windows.get(windowId)?.acked ?? 0;
  }

  protected override async _getSession(id: string): Promise<SessionRecord | undefined> {
    await this.#hook('getSession');
    const record = this.#sessions.get(id)?.record;
    return record && structuredClone(record);
  }

  protected override async _listSessions(query: ListQuery): Promise<SessionPage> {
    await this.#hook('listSessions');
    this.lastListQuery = query;
    return structuredClone(pageOf([...this.#sessions.values()].map((s) => s.record), query));
  }

  protected override async *_readBatches(sessionId: string, query: ReadQuery): AsyncIterable<StoredBatch> {
    this.streamReleased = false;
    try {
      await this.#hook('readBatches');
      const session = this.#sessions.get(sessionId);
      if (!session) return;
      const windows = [...session.windows.keys()].filter((w) => query.windowId === undefined || w === query.windowId);
      const perWindow = windows.map((w) => session.batches
        .filter((b) => b.windowId === w && b.seq > (query.after.get(w) ?? 0))
        .sort((a, b) => a.seq - b.seq));
      for await (const b of mergeByTime(perWindow.map(async function* (list) { yield* list; }), batchTime)) {
        if (this.failOn === 'readBatches:next') throw this.failWith;
        yield structuredClone(b);
      }
    } finally {
      this.streamReleased = true;
    }
  }

  protected override async _deleteSession(id: string): Promise<boolean> {
    await this.#hook('deleteSession');
    const existed = this.#sessions.delete(id);
    if (existed) this.#errors.forgetSession(id);
    return existed;
  }

  protected override async _eraseOccurrences(filter: OccurrenceFilter): Promise<OccurrenceErasure> {
    await this.#hook('eraseOccurrences');
    return this.#errors.erase(filter);
  }

  protected override async _oldestSessions(limit: number): Promise<SessionRecord[]> {
    await this.#hook('oldestSessions');
    return structuredClone(oldestOf([...this.#sessions.values()].map((s) => s.record), limit));
  }

  protected override async _diskSize(): Promise<number> {
    await this.#hook('diskSize');
    return this.#sessions.size;
  }

  protected override async _recordError(occurrence: ErrorOccurrence): Promise<RecordErrorResult> {
    await this.#hook('recordError');
    const result = this.#errors.record(occurrence);
    const session = occurrence.sessionId === undefined ? undefined : this.#sessions.get(occurrence.sessionId);
    if (session) session.record.errorCount += 1;
    return result;
  }

  protected override async _listErrorGroups(query: ErrorListQuery): Promise<ErrorGroupPage> {
    await this.#hook('listErrorGroups');
    return this.#errors.list(query);
  }

  protected override async _getErrorGroup(id: string, query: ErrorGroupQuery): Promise<ErrorGroupDetail | undefined> {
    await this.#hook('getErrorGroup');
    return this.#errors.get(id, query);
  }

  protected override async _setErrorStatus(id: string, status: SettableErrorStatus, at: number): Promise<ErrorGroup | undefined> {
    await this.#hook('setErrorStatus');
    return this.#errors.setStatus(id, status, at);
  }

  protected override async _sessionErrors(sessionId: string): Promise<SessionErrorRecord[]> {
    await this.#hook('sessionErrors');
    return this.#errors.ofSession(sessionId);
  }

  protected override async _putSourceMap(file: string, map: string): Promise<void> {
    await this.#hook('putSourceMap');
    this.#errors.putSourceMap(file, map);
  }

  protected override async _getSourceMap(file: string): Promise<string | undefined> {
    await this.#hook('getSourceMap');
    return this.#errors.getSourceMap(file);
  }

  // Audit log and tokens (access).

  protected override async _auditHead(): Promise<AuditHead | undefined> {
    await this.#hook('auditHead');
    return this.#audit.head();
  }

  protected override async _appendAudit(entry: AuditEntry): Promise<void> {
    await this.#hook('appendAudit');
    this.#audit.append(entry);
  }

  protected override async _readAudit(query: AuditQuery): Promise<AuditEntry[]> {
    await this.#hook('readAudit');
    return this.#audit.read(query);
  }

  protected override async _firstAudit(limit: number): Promise<AuditEntry[]> {
    return this.#audit.first(limit);
  }

  protected override async _auditBase(): Promise<AuditHead | undefined> {
    return this.#audit.base();
  }

  protected override async _pruneAudit(upto: AuditHead): Promise<void> {
    this.#audit.prune(upto);
  }

  protected override async _putToken(record: TokenRecord): Promise<boolean> {
    await this.#hook('putToken');
    return this.#audit.putToken(record);
  }

  protected override async _listTokens(): Promise<TokenRecord[]> {
    await this.#hook('listTokens');
    return this.#audit.tokens();
  }

  protected override async _deleteToken(name: string): Promise<boolean> {
    await this.#hook('deleteToken');
    return this.#audit.deleteToken(name);
  }
}

runStoreConformance('TinyStore (abstract layer)', () => new TinyStore());

const b1 = (seq = 1): BatchInput => ({ sessionId: 's1', windowId: 'w1', seq, events: [{ type: 3, timestamp: seq * 10 }], receivedAt: seq * 10 + 1 });

async function rejectsWith(action: Promise<unknown>, code: string): Promise<StoreError> {
  let caught: unknown;
  await assert.rejects(action, (err: unknown) => {
    caught = err;
    assert.ok(err instanceof StoreError, String(err));
    assert.equal(err.code, code, err.message);
    return true;
  });
  return caught as StoreError;
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => { resolve = r; });
  return { promise, resolve };
}

describe('Store (abstract layer)', () => {
  it('runs _open once for concurrent open() calls and _close once for concurrent close() calls', async () => {
    const store = new TinyStore();
    await Promise.all([store.open(), store.open(), store.open()]);
    await Promise.all([store.close(), store.close()]);
    assert.deepEqual(store.calls, ['open', 'close']);
  });

  it('is "opening" while _open runs, and calls made then reject with STORE_NOT_OPEN', async () => {
    const store = new TinyStore();
    const gate = deferred();
    store.gate = gate.promise;
    const opening = store.open();
    assert.equal(store.status, 'opening');
    await rejectsWith(store.append(b1()), StoreErrorCode.NOT_OPEN);
    gate.resolve();
    await opening;
    assert.equal(store.status, 'open');
    assert.deepEqual(store.calls, ['open']);
    await store.close();
  });

  it('an _open failure rejects with STORE_OPEN_FAILED carrying the cause; the store stays closed and can try again', async () => {
    const store = new TinyStore();
    store.failOn = 'open';
    const [a, b] = await Promise.allSettled([store.open(), store.open()]);
    assert.equal(a.status, 'rejected');
    assert.equal(b.status, 'rejected');
    const err = (a as PromiseRejectedResult).reason as StoreError;
    assert.equal(err.code, StoreErrorCode.OPEN_FAILED);
    assert.equal(err.cause, store.failWith);
    assert.match(err.message, /disk on fire/);
    assert.equal(store.status, 'closed');
    store.failOn = undefined;
    await store.open();
    assert.equal(store.status, 'open');
    assert.deepEqual(store.calls, ['open', 'open']);
    await store.close();
  });

  it('a close() waiting on a failed open() resolves, closed', async () => {
    const store = new TinyStore();
    store.failOn = 'open';
    const opening = store.open();
    const closing = store.close();
    await rejectsWith(opening, StoreErrorCode.OPEN_FAILED);
    await closing;
    assert.equal(store.status, 'closed');
    assert.deepEqual(store.calls, ['open']);
  });

  it('an _close failure rejects with STORE_BACKEND_FAILED and still leaves the store closed', async () => {
    const store = new TinyStore();
    await store.open();
    store.failOn = 'close';
    const err = await rejectsWith(store.close(), StoreErrorCode.BACKEND_FAILED);
    assert.equal(err.cause, store.failWith);
    assert.equal(store.status, 'closed');
  });

  it('close() calls _close only after the calls in flight have settled', async () => {
    const store = new TinyStore();
    await store.open();
    const gate = deferred();
    store.gate = gate.promise;
    const append = store.append(b1());
    const get = store.getSession('s1');
    const closing = store.close();
    assert.equal(store.status, 'closing');
    await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(store.calls, ['open', 'append', 'getSession']);
    gate.resolve();
    await closing;
    assert.deepEqual(store.calls, ['open', 'append', 'getSession', 'close']);
    assert.deepEqual(await append, { stored: true, ackedSeq: 1 });
    assert.equal((await get)?.id, 's1');
  });

  it('validates arguments before any hook runs', async () => {
    const store = new TinyStore();
    await store.open();
    await rejectsWith(store.append({ ...b1(), seq: 0 }), StoreErrorCode.INVALID_ARGUMENT);
    await rejectsWith(store.getSession('no spaces'), StoreErrorCode.INVALID_ARGUMENT);
    await rejectsWith(store.listSessions({ limit: -5 }), StoreErrorCode.INVALID_ARGUMENT);
    await assert.rejects(async () => { for await (const _ of store.readBatches('s1', { after: { w1: 1.5 } })); }, { code: StoreErrorCode.INVALID_ARGUMENT });
    assert.deepEqual(store.calls, ['open']);
    await store.close();
  });

  it('checks the lifecycle before the arguments', async () => {
    const store = new TinyStore();
    await rejectsWith(store.append(null as never), StoreErrorCode.NOT_OPEN);
  });

  it('hands _listSessions the default limit of 50 and clamps larger limits to 500', async () => {
    const store = new TinyStore();
    await store.open();
    await store.listSessions();
    assert.equal(store.lastListQuery?.limit, 50);
    await store.listSessions({ limit: 7, hasErrors: true });
    assert.deepEqual(store.lastListQuery, { limit: 7, hasErrors: true });
    await store.listSessions({ limit: 100_000 });
    assert.equal(store.lastListQuery?.limit, 500);
    await store.close();
  });

  it('wraps a backend error as STORE_BACKEND_FAILED with its cause, and passes a StoreError through', async () => {
    const store = new TinyStore();
    await store.open();
    store.failOn = 'append';
    const err = await rejectsWith(store.append(b1()), StoreErrorCode.BACKEND_FAILED);
    assert.equal(err.cause, store.failWith);
    assert.match(err.message, /^append failed: disk on fire/);
    store.failWith = new StoreError(StoreErrorCode.CORRUPT, 'bad bytes');
    store.failOn = 'getSession';
    assert.equal(await rejectsWith(store.getSession('s1'), StoreErrorCode.CORRUPT), store.failWith);
    store.failOn = undefined;
    await store.close();
  });

  it('reports a stream\'s backend error on the step that hit it', async () => {
    const store = new TinyStore();
    await store.open();
    await store.append(b1(1));
    store.failOn = 'readBatches:next';
    await rejectsWith((async () => { for await (const _ of store.readBatches('s1')); })(), StoreErrorCode.BACKEND_FAILED);
    assert.equal(store.streamReleased, true);
    await store.close();
  });

  it('readBatches is lazy: calling it never throws; its first step rejects', async () => {
    const store = new TinyStore();
    const stream = store.readBatches('s1');
    await store.open();
    await store.append(b1());
    const iterator = stream[Symbol.asyncIterator]();
    assert.equal((await iterator.next()).value?.seq, 1);
    const closedStream = store.readBatches('bad id');
    await store.close();
    await rejectsWith(closedStream[Symbol.asyncIterator]().next(), StoreErrorCode.NOT_OPEN);
  });

  it('releases the backend\'s stream when the consumer stops early', async () => {
    const store = new TinyStore();
    await store.open();
    for (const seq of [1, 2, 3]) await store.append(b1(seq));
    for await (const b of store.readBatches('s1')) {
      assert.equal(b.seq, 1);
      assert.equal(store.streamReleased, false);
      break;
    }
    assert.equal(store.streamReleased, true);
    await store.close();
  });

  it('a stream opened before a close and reopen rejects with STORE_NOT_OPEN', async () => {
    const store = new TinyStore();
    await store.open();
    for (const seq of [1, 2]) await store.append(b1(seq));
    const iterator = store.readBatches('s1')[Symbol.asyncIterator]();
    await iterator.next();
    await store.close();
    await store.open();
    await rejectsWith(iterator.next(), StoreErrorCode.NOT_OPEN);
    assert.equal(store.streamReleased, true);
    await store.close();
  });
});
