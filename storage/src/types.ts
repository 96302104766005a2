/**
 * The data the `Store` keeps, and the arguments of its methods. Backends implement the
 * private hooks of `Store` (store.ts); the relay only ever calls the public methods.
 */
import type { ErrorGroup, ErrorStatus, RecordedEvent, SessionMeta } from '@sentiero/protocol';

/** One batch to append. `(sessionId, windowId, seq)` identifies it; appending it again changes nothing. */
export interface BatchInput {
  sessionId: string;
  windowId: string;
  seq: number;
  events: RecordedEvent[];
  /** When the relay received it (ms since epoch, relay clock). */
  receivedAt: number;
  /** The window's meta from `hello` (or the HTTP body); kept from the first batch of each window. */
  meta?: SessionMeta;
  /** Derived by the relay from the events: saves the store from looking inside them. */
  digest?: BatchDigest;
  /** The batch's size as received, in bytes (what the relay counts against `maxBytesPerSession`); added to the record's `byteCount`, 0 when left out. */
  bytes?: number;
  /**
   * `events` as JSON text, when the writer has it (the relay: the frame's own text, when nothing
   * changed the events after they were parsed from it). It must parse to exactly `events`. A
   * store may write it instead of serialising `events` again, and may ignore it.
   */
  eventsJson?: string;
}

/** What the relay derives from one batch's events so that the session record stays current. */
export interface BatchDigest {
  /** Page URLs entered in this batch (rrweb Meta events' href), in order. */
  pages?: string[];
  /**
   * Errors in this batch, added to the session's `errorCount`. (The relay leaves this out and
   * records each error with `recordError`, which counts it; it is kept for other writers.)
   */
  errors?: number;
  /** Events the recorder reported as lost (gap markers). */
  dropped?: number;
  /** User ids the page identified in this batch (`sentiero/identify@1`), in order. */
  userIds?: string[];
}

/** What `append` did. */
export interface AppendResult {
  /** False when the batch was already stored (an idempotent re-send). */
  stored: boolean;
  /** The highest seq of the window such that every seq from 1 to it is stored. */
  ackedSeq: number;
}

/** A session as stored: what the REST API's `SessionSummary` is built from (minus `live`, which the relay knows). */
export interface SessionRecord {
  id: string;
  /** The earliest event timestamp seen. */
  startedAt: number;
  /** The latest event timestamp seen. */
  lastEventAt: number;
  /** When the relay last received a batch (relay clock). */
  lastReceivedAt: number;
  eventCount: number;
  batchCount: number;
  /** Window ids in the order they were first stored: the first `MAX_LISTED_WINDOWS` (100) only. */
  windows: string[];
  /** How many windows the session has (`windows` lists the first 100 of them). */
  windowCount: number;
  /**
   * The meta of the first batch that carried one (normally the first window's). Until such a
   * batch arrives it is a placeholder `{ url: '', userAgent: '', startedAt }`, replaced by the
   * first real meta.
   */
  meta: SessionMeta;
  /** Pages visited in order, consecutive repeats collapsed, at most 100. */
  pages: string[];
  errorCount: number;
  droppedEvents: number;
  /** The sum of the stored batches' `bytes` (their size as received), so that a per-session byte cap survives a restart. */
  byteCount: number;
  /** The user the page identified last (`sentiero/identify@1`); absent until it identifies one. */
  userId?: string;
  /** Every user the page identified, in order, distinct, the first `MAX_SESSION_USERS` (16) only. */
  userIds?: string[];
}

/** One stored batch as read back. */
export interface StoredBatch {
  sessionId: string;
  windowId: string;
  seq: number;
  events: RecordedEvent[];
  receivedAt: number;
}

/** A stored batch with its events as the JSON text of their array (`readBatchesJson`). */
export interface StoredBatchJson {
  sessionId: string;
  windowId: string;
  seq: number;
  /** `JSON.stringify(events)`, or the same text as stored. */
  eventsJson: string;
  receivedAt: number;
  /** The time the windows merge by: the first event's timestamp (`receivedAt` for a batch without events). */
  time: number;
}

/** Filters and paging of `listSessions`. */
export interface ListOptions {
  /** Only sessions whose `lastEventAt` ≥ from. */
  from?: number;
  /** Only sessions whose `startedAt` ≤ to. */
  to?: number;
  /** Only sessions one of whose pages (or whose `meta.url`) contains this text (case-insensitive). */
  urlContains?: string;
  /** Only sessions with errors (true) or without (false). */
  hasErrors?: boolean;
  /** Only sessions at least this long (lastEventAt − startedAt, ms). */
  minDurationMs?: number;
  /** Only sessions in which the page identified this user (any of its `userIds`). */
  userId?: string;
  /** Page size: default 50, at most 500. */
  limit?: number;
  /** The `next` of the previous page. */
  cursor?: string;
}

/** A page of sessions, newest (by `startedAt`) first. */
export interface SessionPage {
  sessions: SessionRecord[];
  /** Present when there may be more. */
  next?: string;
}

/** `ListOptions` as a backend's `_listSessions` receives them: validated, with `limit` filled in (1–500). */
export interface ListQuery extends ListOptions {
  limit: number;
}

/** Options of `readBatches`. */
export interface ReadOptions {
  /** Only batches with seq greater than the given one for each window (windows not named: all). */
  after?: Record<string, number>;
  /** Only this window. */
  windowId?: string;
}

/** `ReadOptions` as a backend's `_readBatches` receives them: validated, `after` as a map (window ids may be any id, `__proto__` included). */
export interface ReadQuery {
  /** The seq to read after, per window; windows not in the map are read from seq 1. */
  after: ReadonlyMap<string, number>;
  /** Only this window. */
  windowId?: string;
}

/** Lifecycle status, as in abstract-level. */
export type StoreStatus = 'opening' | 'open' | 'closing' | 'closed';

/** What a backend supports; the conformance suite skips what is declared unsupported. */
export interface StoreSupports {
  /** Data survives the process: a new instance on the same location sees it. */
  persistence: boolean;
  /** Keeps analytics digests and saved segments (`putDigest`, `scanDigests`, `putSegment`, …); without it those reject with `STORE_NOT_SUPPORTED`. */
  analytics?: boolean;
  /** Keeps captured assets (`putAsset`, `getAsset`, `putAssetRefs`, …); without it those reject with `STORE_NOT_SUPPORTED`. */
  assets?: boolean;
}

/** What `recordError` did. */
export interface RecordErrorResult {
  /** The group as it is after the occurrence. */
  group: ErrorGroup;
  /** The occurrence started a new group. */
  created: boolean;
  /** The group was resolved and is now `regressed`. */
  regressed: boolean;
}

/** Filters and paging of `listErrorGroups`. */
export interface ErrorListOptions {
  /** Only groups with this status. */
  status?: ErrorStatus;
  /** Only groups that happened in this session. */
  sessionId?: string;
  /** Only groups whose name, message or culprit (file, function, original file) contains this text, case-insensitively. */
  query?: string;
  /** Page size: default 50, at most 500. */
  limit?: number;
  /** The `next` of the previous page. */
  cursor?: string;
}

/** `ErrorListOptions` as a backend's `_listErrorGroups` receives them: validated, `limit` filled in (1–500). */
export interface ErrorListQuery extends ErrorListOptions {
  limit: number;
}

/** A page of error groups, most recently seen first (ties by id). */
export interface ErrorGroupPage {
  groups: ErrorGroup[];
  /** Present exactly when another group matches. */
  next?: string;
}

/** Options of `getErrorGroup`. */
export interface ErrorGroupOptions {
  /** How many recent occurrences to include, newest first: default 20, at most `MAX_OCCURRENCES_KEPT` (100). */
  occurrences?: number;
  /** How many sessions to include, most recently affected first: default and most 100. */
  sessions?: number;
}

/** `ErrorGroupOptions` as `_getErrorGroup` receives them: both filled in. */
export interface ErrorGroupQuery {
  occurrences: number;
  sessions: number;
}

/** One group as it happened in one session (see `sessionErrors`). */
export interface SessionErrorRecord {
  groupId: string;
  count: number;
  firstSeen: number;
  lastSeen: number;
}

/** Which error occurrences `eraseOccurrences` removes: those of one session, those of one user (see `eraseOccurrences`), or those received before a time (ms, relay clock). */
export type OccurrenceFilter = { sessionId: string } | { userId: string } | { receivedBefore: number };

/** What `eraseOccurrences` removed. */
export interface OccurrenceErasure {
  /** Occurrences removed. */
  occurrences: number;
  /** The groups that lost at least one occurrence (their counts stay; their kept occurrences no longer hold the person's data). */
  groups: string[];
}

/** What `eraseSession` removed. */
export interface SessionErasure extends OccurrenceErasure {
  /** The session's stored batches. */
  batches: number;
  /** The session's events. */
  events: number;
}
