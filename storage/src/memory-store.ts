/**
 * `MemoryStore`: everything in the process's memory, for tests and demos. Batches are kept
 * as JSON text, so that what reads back is what a persistent backend would give (and a
 * caller changing its objects afterwards changes nothing stored). Data lives as long as the
 * instance, across close and open, but not beyond the process.
 */
import type { ErrorGroup, ErrorGroupDetail, ErrorOccurrence, RecordedEvent, Segment, SessionDigest, SettableErrorStatus } from '@sentiero/protocol';
import type { AuditEntry, AuditHead, AuditQuery, TokenRecord } from './audit-record.ts';
import { type AssetRef, decodeAssetRef, encodeAssetRef } from './asset-record.ts';
import { type DigestScanOptions, inScan } from './digest-record.ts';
import { oldestOf, pageOf } from './list.ts';
import { MemoryAudit } from './memory-audit.ts';
import { MemoryErrors } from './memory-errors.ts';
import { batchText, parseBatchText } from './codec.ts';
import { type Located, batchTime, mergeByTime } from './merge.ts';
import { SeqSet, applyBatch } from './session-record.ts';
import { Store } from './store.ts';
import type {
  AppendResult, BatchInput, ErrorGroupPage, ErrorGroupQuery, ErrorListQuery, ListQuery, OccurrenceErasure, OccurrenceFilter, ReadQuery,
  RecordErrorResult, SessionErrorRecord, SessionPage, SessionRecord, StoredBatch, StoredBatchJson, StoreSupports,
} from './types.ts';

interface MemoryWindow {
  seqs: SeqSet;
  /** seq → `{"r": receivedAt, "e": events}` as JSON. */
  batches: Map<number, string>;
}

interface MemorySession {
  record: SessionRecord;
  /** In the order they were first stored. */
  windows: Map<string, MemoryWindow>;
}

/** A `Store` in memory (`supports.persistence` is false). */
export class MemoryStore extends Store {
  /** Memory does not outlive the process. */
  readonly supports: StoreSupports = Object.freeze({ persistence: false, analytics: true, assets: true });

  readonly #sessions = new Map<string, MemorySession>();
  readonly #errors = new MemoryErrors();
  readonly #audit = new MemoryAudit();
  /** Digests as JSON text, by session id; segments by id. */
  readonly #digests = new Map<string, string>();
  /** Captured assets: encoded bytes by hash; each session's refs (encoded) by URL. */
  readonly #assets = new Map<string, { bytes: Uint8Array; at: number }>();
  readonly #assetRefs = new Map<string, Map<string, string>>();
  readonly #segments = new Map<string, string>();

  protected override async _append(batch: BatchInput): Promise<AppendResult> {
    const session = this.#sessions.get(batch.sessionId);
    const window = session?.windows.get(batch.windowId);
    if (window?.seqs.has(batch.seq)) return { stored: false, ackedSeq: window.seqs.acked };
    const body = batchText(batch);
    const record = applyBatch(session?.record, batch, !window);
    if (!session) record.errorCount += this.#errors.countOf(batch.sessionId);
    const target = session ?? { record, windows: new Map<string, MemoryWindow>() };
    target.record = record;
    const win = window ?? { seqs: new SeqSet(), batches: new Map<number, string>() };
    win.seqs.add(batch.seq);
    win.batches.set(batch.seq, body);
    target.windows.set(batch.windowId, win);
    this.#sessions.set(batch.sessionId, target);
    return { stored: true, ackedSeq: win.seqs.acked };
  }

  protected override async _ackedSeq(sessionId: string, windowId: string): Promise<number> {
    return this.#sessions.get(sessionId)?.windows.get(windowId)?.seqs.acked ?? 0;
  }

  protected override async _getSession(id: string): Promise<SessionRecord | undefined> {
    const session = this.#sessions.get(id);
    return session ? structuredClone(session.record) : undefined;
  }

  protected override async _listSessions(query: ListQuery): Promise<SessionPage> {
    const page = pageOf([...this.#sessions.values()].map((s) => s.record), query);
    return { ...page, sessions: page.sessions.map((r) => structuredClone(r)) };
  }

  protected override _readBatches(sessionId: string, query: ReadQuery): AsyncIterable<StoredBatch> {
    return this.#read(sessionId, query, (body) => {
      const { r, e } = JSON.parse(body) as { r: number; e: RecordedEvent[] };
      return { events: e, receivedAt: r };
    }, batchTime);
  }

  protected override _readBatchesJson(sessionId: string, query: ReadQuery): AsyncIterable<StoredBatchJson> {
    return this.#read(sessionId, query, (body, where) => parseBatchText(body, where), (b) => b.time);
  }

  async *#read<T>(sessionId: string, query: ReadQuery, decode: (body: string, where: string) => T, timeOf: (b: Located<T>) => number): AsyncGenerator<Located<T>> {
    const session = this.#sessions.get(sessionId);
    if (!session) return;
    const windowIds = [...session.windows.keys()].filter((w) => query.windowId === undefined || w === query.windowId);
    const sources = windowIds.map(async function* (windowId): AsyncGenerator<Located<T>> {
      const window = session.windows.get(windowId) as MemoryWindow;
      const after = query.after.get(windowId) ?? 0;
      for (const seq of [...window.batches.keys()].filter((s) => s > after).sort((a, b) => a - b)) {
        yield { sessionId, windowId, seq, ...decode(window.batches.get(seq) as string, `${sessionId}/${windowId}/${seq}`) };
      }
    });
    yield* mergeByTime(sources, timeOf);
  }

  protected override async _deleteSession(id: string): Promise<boolean> {
    const existed = this.#sessions.delete(id);
    if (existed) this.#errors.forgetSession(id);
    this.#digests.delete(id);
    this.#assetRefs.delete(id);
    return existed;
  }

  // Privacy: erasure, retention and size.

  protected override async _eraseOccurrences(filter: OccurrenceFilter): Promise<OccurrenceErasure> {
    return this.#errors.erase(filter);
  }

  protected override async _oldestSessions(limit: number): Promise<SessionRecord[]> {
    return oldestOf([...this.#sessions.values()].map((s) => s.record), limit).map((r) => structuredClone(r));
  }

  /** The bytes of the batches' JSON text held: the figure a quota compares. */
  protected override async _diskSize(): Promise<number> {
    let bytes = 0;
    for (const session of this.#sessions.values()) {
      for (const window of session.windows.values()) for (const text of window.batches.values()) bytes += Buffer.byteLength(text);
    }
    for (const asset of this.#assets.values()) bytes += asset.bytes.byteLength;
    return bytes;
  }

  protected override async _recordError(occurrence: ErrorOccurrence): Promise<RecordErrorResult> {
    const result = this.#errors.record(occurrence);
    const session = occurrence.sessionId === undefined ? undefined : this.#sessions.get(occurrence.sessionId);
    if (session) session.record = { ...session.record, errorCount: session.record.errorCount + 1 };
    return result;
  }

  protected override async _listErrorGroups(query: ErrorListQuery): Promise<ErrorGroupPage> {
    return this.#errors.list(query);
  }

  protected override async _getErrorGroup(id: string, query: ErrorGroupQuery): Promise<ErrorGroupDetail | undefined> {
    return this.#errors.get(id, query);
  }

  protected override async _setErrorStatus(id: string, status: SettableErrorStatus, at: number): Promise<ErrorGroup | undefined> {
    return this.#errors.setStatus(id, status, at);
  }

  protected override async _sessionErrors(sessionId: string): Promise<SessionErrorRecord[]> {
    return this.#errors.ofSession(sessionId);
  }

  protected override async _putSourceMap(file: string, map: string): Promise<void> {
    this.#errors.putSourceMap(file, map);
  }

  protected override async _getSourceMap(file: string): Promise<string | undefined> {
    return this.#errors.getSourceMap(file);
  }

  // Audit log and tokens (access).

  protected override async _auditHead(): Promise<AuditHead | undefined> {
    return this.#audit.head();
  }

  protected override async _appendAudit(entry: AuditEntry): Promise<void> {
    this.#audit.append(entry);
  }

  protected override async _readAudit(query: AuditQuery): Promise<AuditEntry[]> {
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
    return this.#audit.putToken(record);
  }

  protected override async _listTokens(): Promise<TokenRecord[]> {
    return this.#audit.tokens();
  }

  protected override async _deleteToken(name: string): Promise<boolean> {
    return this.#audit.deleteToken(name);
  }

  // ───── Analytics: per-session digests and saved segments ─────

  protected override async _putDigest(digest: SessionDigest): Promise<boolean> {
    if (!this.#sessions.has(digest.sessionId)) return false;
    this.#digests.set(digest.sessionId, JSON.stringify(digest));
    return true;
  }

  protected override async _getDigest(sessionId: string): Promise<SessionDigest | undefined> {
    const text = this.#digests.get(sessionId);
    return text === undefined ? undefined : (JSON.parse(text) as SessionDigest);
  }

  protected override async *_scanDigests(range: DigestScanOptions): AsyncIterable<SessionDigest> {
    const all = [...this.#digests.values()].map((t) => JSON.parse(t) as SessionDigest).filter((d) => inScan(d, range));
    yield* all.sort((a, b) => a.startedAt - b.startedAt || (a.sessionId < b.sessionId ? -1 : a.sessionId > b.sessionId ? 1 : 0));
  }

  protected override async _putSegment(segment: Segment): Promise<void> {
    this.#segments.set(segment.id, JSON.stringify(segment));
  }

  protected override async _listSegments(): Promise<Segment[]> {
    return [...this.#segments.values()].map((t) => JSON.parse(t) as Segment).sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
  }

  protected override async _deleteSegment(id: string): Promise<boolean> {
    return this.#segments.delete(id);
  }

  // ───── Captured assets ─────

  protected override async _touchAsset(hash: string, at: number): Promise<boolean> {
    const asset = this.#assets.get(hash);
    if (asset) asset.at = at;
    return asset !== undefined;
  }

  protected override async _putAsset(hash: string, encoded: Uint8Array, at: number): Promise<void> {
    this.#assets.set(hash, { bytes: encoded.slice(), at });
  }

  protected override async _getAsset(hash: string): Promise<Uint8Array | undefined> {
    return this.#assets.get(hash)?.bytes.slice();
  }

  protected override async *_assetTimes(): AsyncIterable<[string, number]> {
    yield* [...this.#assets].map(([hash, a]): [string, number] => [hash, a.at]);
  }

  protected override async *_referencedAssets(): AsyncIterable<string> {
    for (const refs of this.#assetRefs.values()) for (const [url, text] of refs) {
      const hash = decodeAssetRef(url, text).hash;
      if (hash !== undefined) yield hash;
    }
  }

  protected override async _deleteAsset(hash: string, before: number): Promise<boolean> {
    const asset = this.#assets.get(hash);
    return asset !== undefined && asset.at < before && this.#assets.delete(hash);
  }

  protected override async _putAssetRefs(sessionId: string, refs: AssetRef[]): Promise<boolean> {
    if (!this.#sessions.has(sessionId)) return false;
    let map = this.#assetRefs.get(sessionId);
    if (!map) this.#assetRefs.set(sessionId, (map = new Map()));
    for (const ref of refs) map.set(ref.url, encodeAssetRef(ref));
    return true;
  }

  protected override async _getAssetRef(sessionId: string, url: string): Promise<AssetRef | undefined> {
    const text = this.#assetRefs.get(sessionId)?.get(url);
    return text === undefined ? undefined : decodeAssetRef(url, text);
  }

  protected override async _listAssetRefs(sessionId: string): Promise<AssetRef[]> {
    return [...(this.#assetRefs.get(sessionId) ?? [])].map(([url, text]) => decodeAssetRef(url, text));
  }
}
