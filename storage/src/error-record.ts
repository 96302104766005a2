/**
 * The error bookkeeping every backend shares: how an occurrence changes its group (counts,
 * first and last seen, sessions, regression), the status changes a person makes, the order
 * and filters of `listErrorGroups`. Pure functions over plain data, so that backends differ
 * only in where they keep it.
 */
import { ErrorStatus } from '@sentiero/protocol';
import type { ErrorFrame, ErrorGroup, ErrorGroupSession, ErrorOccurrence, SettableErrorStatus } from '@sentiero/protocol';
import { encodeCursor, decodeCursor, listKey } from './list.ts';
import type { ErrorGroupPage, ErrorListQuery, SessionErrorRecord } from './types.ts';

/** A group keeps at most this many occurrences (the newest by timestamp); its `count` goes on counting. */
export const MAX_OCCURRENCES_KEPT = 100;
/** Occurrences `getErrorGroup` includes when not told. */
export const DEFAULT_OCCURRENCES = 20;
/** Most sessions `getErrorGroup` includes (and the default). */
export const MAX_GROUP_SESSIONS = 100;

/** The frame a group is named after: the top in-app frame, else the top frame. */
export function culpritOf(frames: readonly ErrorFrame[]): ErrorFrame | undefined {
  const frame = frames.find((f) => f.inApp) ?? frames[0];
  return frame && structuredClone(frame);
}

/**
 * The group after `occ` (whose `groupId` names it). `newSession` says whether the occurrence's
 * session had no occurrence of this group yet. A resolved group turns `regressed`.
 */
export function applyOccurrence(prev: ErrorGroup | undefined, occ: ErrorOccurrence, newSession: boolean): { group: ErrorGroup; created: boolean; regressed: boolean } {
  const culprit = culpritOf(occ.frames);
  if (!prev) {
    const group: ErrorGroup = {
      id: occ.groupId, name: occ.name, message: occ.message, origin: occ.origin, status: ErrorStatus.UNRESOLVED,
      count: 1, sessionCount: occ.sessionId !== undefined ? 1 : 0, firstSeen: occ.timestamp, lastSeen: occ.timestamp,
    };
    if (culprit) group.culprit = culprit;
    return { group, created: true, regressed: false };
  }
  const group: ErrorGroup = { ...prev, count: prev.count + 1 };
  if (newSession && occ.sessionId !== undefined) group.sessionCount += 1;
  if (occ.timestamp < group.firstSeen) group.firstSeen = occ.timestamp;
  if (occ.timestamp >= group.lastSeen) {
    group.lastSeen = occ.timestamp;
    if (culprit) group.culprit = culprit;
  }
  const regressed = prev.status === ErrorStatus.RESOLVED;
  if (regressed) {
    group.status = ErrorStatus.REGRESSED;
    group.regressedAt = occ.receivedAt;
  }
  return { group, created: false, regressed };
}

/** A session's entry for a group after `occ`. */
export function applySessionEntry(prev: SessionErrorRecord | undefined, occ: ErrorOccurrence): SessionErrorRecord {
  if (!prev) return { groupId: occ.groupId, count: 1, firstSeen: occ.timestamp, lastSeen: occ.timestamp };
  return {
    groupId: prev.groupId, count: prev.count + 1,
    firstSeen: Math.min(prev.firstSeen, occ.timestamp), lastSeen: Math.max(prev.lastSeen, occ.timestamp),
  };
}

/** A session entry as the group detail lists it. */
export function groupSession(sessionId: string, entry: SessionErrorRecord): ErrorGroupSession {
  return { sessionId, count: entry.count, firstSeen: entry.firstSeen, lastSeen: entry.lastSeen };
}

/** The group after a person set its status at `at` (relay clock). */
export function applyStatus(prev: ErrorGroup, status: SettableErrorStatus, at: number): ErrorGroup {
  return { ...prev, status, statusChangedAt: at };
}

/** A group's position in the listing: ascending keys are most recently seen first, ties by id. */
export function groupListKey(group: ErrorGroup): string {
  return listKey(group.lastSeen, group.id);
}

/** Sorts session entries most recently affected first (ties by session id). */
export function byLastSeen(a: ErrorGroupSession, b: ErrorGroupSession): number {
  return b.lastSeen - a.lastSeen || (a.sessionId < b.sessionId ? -1 : a.sessionId > b.sessionId ? 1 : 0);
}

/** Sorts a session's entries in the order they first happened (ties by group id). */
export function byFirstSeen(a: SessionErrorRecord, b: SessionErrorRecord): number {
  return a.firstSeen - b.firstSeen || (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0);
}

/** Sorts occurrences newest first (ties by id, larger first). */
export function byNewest(a: ErrorOccurrence, b: ErrorOccurrence): number {
  return b.timestamp - a.timestamp || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

function textOf(frame: ErrorFrame | undefined): string {
  if (!frame) return '';
  return [frame.function, frame.file, frame.original?.file, frame.original?.name, frame.original?.function].filter(Boolean).join(' ');
}

/** Whether a group passes the query's status and text filters (the session filter is the backend's). */
export function matchesErrorQuery(group: ErrorGroup, query: ErrorListQuery): boolean {
  if (query.status !== undefined && group.status !== query.status) return false;
  if (query.query !== undefined && query.query !== '') {
    const needle = query.query.toLowerCase();
    const hay = `${group.name}\n${group.message}\n${textOf(group.culprit)}`.toLowerCase();
    if (!hay.includes(needle)) return false;
  }
  return true;
}

/** The list key after which a page starts (the cursor), if any; a cursor no store made is `STORE_INVALID_ARGUMENT`. */
export function errorCursorKey(query: ErrorListQuery): string | undefined {
  return query.cursor === undefined ? undefined : decodeCursor(query.cursor);
}

/** Collects a page of groups offered in ascending list-key order; `next` is set exactly when another match exists. */
export class GroupPageBuilder {
  readonly #query: ErrorListQuery;
  readonly #groups: ErrorGroup[] = [];
  #lastKey = '';
  #more = false;

  constructor(query: ErrorListQuery) {
    this.#query = query;
  }

  /** Whether the page is complete and it is known that more follow. */
  get done(): boolean {
    return this.#more;
  }

  /** Offers the group at `key`; returns false once the page is complete. */
  offer(key: string, group: ErrorGroup): boolean {
    if (this.#more) return false;
    if (!matchesErrorQuery(group, this.#query)) return true;
    if (this.#groups.length === this.#query.limit) {
      this.#more = true;
      return false;
    }
    this.#groups.push(group);
    this.#lastKey = key;
    return true;
  }

  /** The page. */
  page(): ErrorGroupPage {
    return this.#more ? { groups: this.#groups, next: encodeCursor(this.#lastKey) } : { groups: this.#groups };
  }
}

/** A page from groups held all at once (memory backends, and the session filter of any backend). */
export function errorPageOf(groups: Iterable<ErrorGroup>, query: ErrorListQuery): ErrorGroupPage {
  const after = errorCursorKey(query);
  const keyed = [...groups].map((g) => [groupListKey(g), g] as const).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const builder = new GroupPageBuilder(query);
  for (const [key, group] of keyed) {
    if (after !== undefined && key <= after) continue;
    if (!builder.offer(key, group)) break;
  }
  return builder.page();
}
