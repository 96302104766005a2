/**
 * Error groups, occurrences and source maps in memory, for the backends that keep everything
 * in the process (`MemoryStore`, and the minimal backend of the abstract layer's tests).
 * Values are kept as copies, so what reads back is what a persistent backend would give.
 */
import type { ErrorGroup, ErrorGroupDetail, ErrorOccurrence, SettableErrorStatus } from '@sentiero/protocol';
import {
  MAX_OCCURRENCES_KEPT, applyOccurrence, applySessionEntry, applyStatus, byFirstSeen, byLastSeen, byNewest, errorPageOf, groupSession,
} from './error-record.ts';
import { occurrenceMatches } from './erasure.ts';
import type {
  ErrorGroupPage, ErrorGroupQuery, ErrorListQuery, OccurrenceErasure, OccurrenceFilter, RecordErrorResult, SessionErrorRecord,
} from './types.ts';

/** The error side of a store held in memory. Every method is synchronous and returns copies. */
export class MemoryErrors {
  readonly #groups = new Map<string, ErrorGroup>();
  /** groupId → occurrences, newest first, at most `MAX_OCCURRENCES_KEPT`. */
  readonly #occurrences = new Map<string, ErrorOccurrence[]>();
  /** sessionId → groupId → entry. */
  readonly #sessionErrors = new Map<string, Map<string, SessionErrorRecord>>();
  /** groupId → the sessions it happened in. */
  readonly #groupSessions = new Map<string, Set<string>>();
  readonly #sourceMaps = new Map<string, string>();

  /** Records an occurrence (see `Store.recordError`). */
  record(occurrence: ErrorOccurrence): RecordErrorResult {
    const occ = structuredClone(occurrence);
    const sid = occ.sessionId;
    const entries = sid === undefined ? undefined : this.#sessionErrors.get(sid);
    const prevEntry = entries?.get(occ.groupId);
    const result = applyOccurrence(this.#groups.get(occ.groupId), occ, sid !== undefined && !prevEntry);
    this.#groups.set(occ.groupId, result.group);
    const kept = [occ, ...(this.#occurrences.get(occ.groupId) ?? [])].sort(byNewest).slice(0, MAX_OCCURRENCES_KEPT);
    this.#occurrences.set(occ.groupId, kept);
    if (sid !== undefined) {
      const map = entries ?? new Map<string, SessionErrorRecord>();
      map.set(occ.groupId, applySessionEntry(prevEntry, occ));
      this.#sessionErrors.set(sid, map);
      const sessions = this.#groupSessions.get(occ.groupId) ?? new Set<string>();
      sessions.add(sid);
      this.#groupSessions.set(occ.groupId, sessions);
    }
    return structuredClone(result);
  }

  /** A page of groups (see `Store.listErrorGroups`). */
  list(query: ErrorListQuery): ErrorGroupPage {
    const groups = query.sessionId === undefined
      ? [...this.#groups.values()]
      : [...(this.#sessionErrors.get(query.sessionId)?.keys() ?? [])].map((id) => this.#groups.get(id)).filter((g): g is ErrorGroup => g !== undefined);
    return structuredClone(errorPageOf(groups, query));
  }

  /** One group with its sessions and occurrences (see `Store.getErrorGroup`). */
  get(id: string, query: ErrorGroupQuery): ErrorGroupDetail | undefined {
    const group = this.#groups.get(id);
    if (!group) return undefined;
    const sessions = [...(this.#groupSessions.get(id) ?? [])]
      .map((sid) => groupSession(sid, this.#sessionErrors.get(sid)?.get(id) as SessionErrorRecord))
      .sort(byLastSeen)
      .slice(0, query.sessions);
    const occurrences = (this.#occurrences.get(id) ?? []).slice(0, query.occurrences);
    return structuredClone({ ...group, sessions, occurrences });
  }

  /** Sets a status (see `Store.setErrorStatus`). */
  setStatus(id: string, status: SettableErrorStatus, at: number): ErrorGroup | undefined {
    const group = this.#groups.get(id);
    if (!group) return undefined;
    const next = applyStatus(group, status, at);
    this.#groups.set(id, next);
    return structuredClone(next);
  }

  /** A session's groups in the order they first happened. */
  ofSession(sessionId: string): SessionErrorRecord[] {
    return [...(this.#sessionErrors.get(sessionId)?.values() ?? [])].map((e) => ({ ...e })).sort(byFirstSeen);
  }

  /** How many occurrences are linked to a session (its `errorCount` when its first batch arrives after them). */
  countOf(sessionId: string): number {
    let n = 0;
    for (const e of this.#sessionErrors.get(sessionId)?.values() ?? []) n += e.count;
    return n;
  }

  /** Forgets a deleted session: its entries go, and its groups no longer list it. */
  forgetSession(sessionId: string): void {
    const entries = this.#sessionErrors.get(sessionId);
    if (!entries) return;
    this.#sessionErrors.delete(sessionId);
    for (const groupId of entries.keys()) {
      this.#groupSessions.get(groupId)?.delete(sessionId);
      const group = this.#groups.get(groupId);
      if (group) this.#groups.set(groupId, { ...group, sessionCount: Math.max(0, group.sessionCount - 1) });
    }
  }

  /** Removes the occurrences of a session or of a user (see `Store.eraseOccurrences`). */
  erase(filter: OccurrenceFilter): OccurrenceErasure {
    const groups: string[] = [];
    let occurrences = 0;
    for (const [groupId, list] of this.#occurrences) {
      const kept = list.filter((o) => !occurrenceMatches(o, filter));
      if (kept.length === list.length) continue;
      occurrences += list.length - kept.length;
      groups.push(groupId);
      this.#occurrences.set(groupId, kept);
    }
    return { occurrences, groups };
  }

  /** Stores a source map. */
  putSourceMap(file: string, map: string): void {
    this.#sourceMaps.set(file, map);
  }

  /** A stored source map. */
  getSourceMap(file: string): string | undefined {
    return this.#sourceMaps.get(file);
  }
}
