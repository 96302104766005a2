/**
 * The v1 wire messages as discriminated unions on `t`, and the shapes the REST API answers with.
 * Validators for each live in `validate.ts`; nothing else parses these shapes.
 */
import type { ErrorGroup, ErrorOccurrence } from './error-groups.ts';
import type { RecorderConfig } from './limits.ts';

/** The protocol version this package speaks. */
export const PROTOCOL_VERSION = 1;

/**
 * One rrweb event as it travels: `type` and `timestamp` are checked, `data` is carried as is.
 * (The full rrweb union lives in `@rrweb/types`; the relay never needs more than this.)
 */
export interface RecordedEvent {
  type: number;
  timestamp: number;
  data?: unknown;
  delay?: number;
}

/** rrweb's event types that the protocol refers to by number. */
export const EventType = {
  DomContentLoaded: 0,
  Load: 1,
  FullSnapshot: 2,
  IncrementalSnapshot: 3,
  Meta: 4,
  Custom: 5,
  Plugin: 6,
} as const;

/** Custom event tags written by Sentiero itself (versioned, as rrweb's plugins are). */
export const CustomTag = {
  /** Events were lost in the recorder (its buffer overflowed): `{ dropped, from, to, reason }`. */
  GAP: 'sentiero/gap@1',
  /** A page (URL) was entered: `{ href, title }`. */
  PAGE: 'sentiero/page@1',
  /** An application's own custom event: `{ name, props, source? }` (`source`: `'click'`, `'submit'` or `'view'` when it came from a `data-sentiero-track*` attribute). */
  EVENT: 'sentiero/event@1',
  /** A browser error: `ErrorEventPayload` (`{ name, message, stack, frames?, groupId? }`). */
  ERROR: 'sentiero/error@1',
  /** The page identified its user (opt-in `identify()`): `{ userId, traits? }`. */
  IDENTIFY: 'sentiero/identify@1',
  /** A Web Vitals measurement: `{ name: 'LCP' | 'INP' | 'CLS' | 'FCP' | 'TTFB', value, rating, href }`. */
  VITAL: 'sentiero/vital@1',
  /** The deepest scroll reached on a page so far: `{ href, depth }` (0–1 of the page's height). */
  SCROLL: 'sentiero/scroll@1',
  /**
   * A click, described where it happened (no typed value, no text content beyond the target's
   * accessible name): `{ selector, label, href, pageX, pageY, relX, relY, vw, vh, dh }` —
   * page coordinates in CSS pixels, `relX`/`relY` the position inside the target's box (0–1),
   * `vw`/`vh` the viewport and `dh` the document height at the time.
   */
  CLICK: 'sentiero/click@1',
  /** A form field interaction, never its value: `{ form, field, kind: 'focus' | 'change' | 'blur' | 'submit', href }`. */
  FIELD: 'sentiero/field@1',
  /** A console call (opt-in `captureConsole`): `ConsolePayload` (`{ level, args, count?, stack?, dropped? }`, in `capture.ts`). */
  CONSOLE: 'sentiero/console@1',
  /**
   * A network request (opt-in `captureNetwork`): `NetworkPayload` (in `capture.ts`): `{ type: 'fetch' | 'xhr' |
   * 'beacon' | 'websocket', method, url, status, startedAt, durationMs, requestSize?, responseSize?, failed?,
   * aborted?, error?, contentType?, requestHeaders?, responseHeaders?, requestBody?, responseBody?, bodyTruncated? }`.
   */
  NETWORK: 'sentiero/network@1',
  /** A popover was shown or hidden (rrweb does not record the top-layer state of popovers): `{ id, open }`, `id` the element's rrweb node id. */
  POPOVER: 'sentiero/popover@1',
} as const;

/** Why events are missing, as written in a gap marker's `reason`. */
export const GapReason = {
  /** The recorder's buffer was full (the relay was unreachable or slow to acknowledge). */
  BUFFER_FULL: 'buffer-full',
  /** One event was larger than the protocol's payload limit. */
  TOO_LARGE: 'too-large',
  /** The relay rejected a batch for good. */
  REJECTED: 'rejected',
  /** Batches of an earlier page of this tab never reached the relay. */
  BATCHES_LOST: 'batches-lost',
  /** The relay refused more of this session (`SENTIERO_SESSION_LIMIT`): a per-session cap was reached. */
  SESSION_LIMIT: 'session-limit',
} as const;

/** One of the gap reasons. */
export type GapReason = (typeof GapReason)[keyof typeof GapReason];

/** The payload of a gap marker (`CustomTag.GAP`): how many events were lost, and between which times (ms). */
export interface GapPayload {
  dropped: number;
  from: number;
  to: number;
  reason: GapReason;
  /** For lost or rejected batches: their seqs. */
  seqFrom?: number;
  seqTo?: number;
}

/** What a recorder says about the page and browser when a window starts. */
export interface SessionMeta {
  /** The page's URL when the window started (with query, without hash). */
  url: string;
  /** `document.referrer`, if any. */
  referrer?: string;
  /** `navigator.userAgent`. */
  userAgent: string;
  /** `navigator.language`. */
  language?: string;
  /** IANA time zone of the browser. */
  timeZone?: string;
  /** Viewport size in CSS pixels. */
  viewport?: { width: number; height: number };
  /** Screen size in CSS pixels. */
  screen?: { width: number; height: number };
  /** When the window started (ms since epoch, browser clock). */
  startedAt: number;
  /** Version of the recorder. */
  recorder?: string;
}

// ───── Ingest (recorder → relay) ─────

/** First message on an ingest socket: who is sending and what was acknowledged before. */
export interface HelloMessage {
  t: 'hello';
  v: number;
  sessionId: string;
  windowId: string;
  /** The highest seq this window believes the relay acknowledged (0 for none). */
  lastSeq: number;
  meta: SessionMeta;
}

/** A numbered batch of events from one window. */
export interface BatchMessage {
  t: 'batch';
  seq: number;
  events: RecordedEvent[];
}

/** Any message a recorder sends. */
export type IngestClientMessage = HelloMessage | BatchMessage;

/** The relay's answer to `hello`: the highest contiguous seq it has stored for the window, and batching advice. */
export interface WelcomeMessage {
  t: 'welcome';
  ackedSeq: number;
  config: RecorderConfig;
}

/** The batch `seq` is durably stored. Acks are per batch: they may come out of order, and one says nothing of other seqs. */
export interface AckMessage {
  t: 'ack';
  seq: number;
}

/** Sent before the relay closes a socket because of a bad message; also the body of HTTP errors. */
export interface ErrorMessage {
  t: 'error';
  code: string;
  message: string;
}

/** Any message a relay sends on an ingest socket. */
export type IngestServerMessage = WelcomeMessage | AckMessage | ErrorMessage;

/** The HTTP fallback's body (`POST <base>/ingest`), also sent by `sendBeacon` on `pagehide`. */
export interface IngestPost {
  sessionId: string;
  windowId: string;
  seq: number;
  events: RecordedEvent[];
  /** Sent when the window has not said `hello` over a socket yet. */
  meta?: SessionMeta;
}

/** The HTTP fallback's answer: the batch `seq` is durably stored. */
export interface IngestPostAck {
  ack: number;
}

// ───── Watch (tooling → relay) ─────

/** First message on a watch socket. */
export interface AuthMessage {
  t: 'auth';
  token: string;
}

/** Where a watcher resumes: the last seq it has, per window. */
export type ResumePoint = Record<string, number>;

/** Follow one session: backlog from `from` (or the start), then the live tail. */
export interface SubscribeSessionMessage {
  t: 'subscribe';
  sessionId: string;
  from?: ResumePoint;
}

/** Follow a feed of updates: `sessions` (session changes) or `errors` (new groups, status changes, new occurrences). */
export interface SubscribeFeedMessage {
  t: 'subscribe';
  feed: 'sessions' | 'errors';
}

/** Stop following a session or a feed. */
export interface UnsubscribeMessage {
  t: 'unsubscribe';
  sessionId?: string;
  feed?: 'sessions' | 'errors';
}

/** Any message a watcher sends. */
export type WatchClientMessage = AuthMessage | SubscribeSessionMessage | SubscribeFeedMessage | UnsubscribeMessage;

/** Authenticated; subscriptions may follow. */
export interface ReadyMessage {
  t: 'ready';
}

/** One stored batch of a session, from the backlog or the live tail. */
export interface EventsMessage {
  t: 'events';
  sessionId: string;
  windowId: string;
  seq: number;
  events: RecordedEvent[];
}

/** The backlog of a subscribed session has been sent; what follows is live. */
export interface LiveMessage {
  t: 'live';
  sessionId: string;
  /** Whether the session is still being recorded. */
  active: boolean;
}

/** The session is over: no window is recording it any more. */
export interface EndMessage {
  t: 'end';
  sessionId: string;
}

/** A session was created or changed (sessions feed). */
export interface SessionUpdateMessage {
  t: 'session';
  session: SessionSummary;
}

/** A session was deleted (sessions feed). */
export interface SessionDeletedMessage {
  t: 'session-deleted';
  sessionId: string;
}

/** An error group appeared or its status changed, by a person or by a regression (errors feed). */
export interface ErrorGroupMessage {
  t: 'error-group';
  group: ErrorGroup;
}

/** A new occurrence, with its group as it is after it (errors feed). */
export interface ErrorOccurrenceMessage {
  t: 'error-occurrence';
  group: ErrorGroup;
  occurrence: ErrorOccurrence;
}

/** Any message a relay sends on a watch socket. */
export type WatchServerMessage =
  | ReadyMessage
  | EventsMessage
  | LiveMessage
  | EndMessage
  | SessionUpdateMessage
  | SessionDeletedMessage
  | ErrorGroupMessage
  | ErrorOccurrenceMessage
  | ErrorMessage;

// ───── REST shapes ─────

/** A session as the REST API and the sessions feed describe it. */
export interface SessionSummary {
  id: string;
  /** First event's time (ms since epoch). */
  startedAt: number;
  /** Last event's time (ms since epoch). */
  lastEventAt: number;
  /** Whether a window of it is recording now. */
  live: boolean;
  eventCount: number;
  /** The ids of its windows (tabs), in the order they started: the first 100 of them. */
  windows: string[];
  /** How many windows it has (`windows` lists the first 100). */
  windowCount?: number;
  /** The first window's URL. */
  url: string;
  /** The URLs visited, in order, without repeats in a row. */
  pages: string[];
  userAgent: string;
  errorCount: number;
  /** Events the recorders reported as lost (gap markers). */
  droppedEvents: number;
  language?: string;
  viewport?: { width: number; height: number };
  /** The user the page identified last (`sentiero/identify@1`), when it identified one. */
  userId?: string;
}

/** `GET <base>/api/sessions`. */
export interface SessionListResponse {
  sessions: SessionSummary[];
  /** Pass as `cursor` to get the next page. */
  next?: string;
}

/** One line of `GET <base>/api/sessions/:id/events` (NDJSON). */
export interface StoredBatchLine {
  windowId: string;
  seq: number;
  events: RecordedEvent[];
}
