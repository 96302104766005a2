/**
 * Error tracking's shapes, once: stack frames (with their original source position), the
 * `sentiero/error@1` event payload, occurrences, error groups and their status, the bodies
 * of the error routes, and the header that links a server request to a recorded session.
 * Validators for each live in `validate.ts`.
 */

/** The header a recorder (`linkRequests`) adds to same-origin requests, so a server error links to the page's session. */
export const SESSION_HEADER = 'X-Sentiero-Session';

/** The status of an error group. `regressed` is set by the relay: a resolved group happened again. */
export const ErrorStatus = {
  UNRESOLVED: 'unresolved',
  RESOLVED: 'resolved',
  IGNORED: 'ignored',
  REGRESSED: 'regressed',
} as const;

/** One of the error group statuses. */
export type ErrorStatus = (typeof ErrorStatus)[keyof typeof ErrorStatus];

/** The statuses a person may set (`regressed` comes only from a new occurrence of a resolved group). */
export type SettableErrorStatus = Exclude<ErrorStatus, 'regressed'>;

/** Where an error happened. */
export type ErrorOrigin = 'browser' | 'server';

/** How an occurrence reached the relay. */
export type ErrorVia = 'recorder' | 'api' | 'capture' | 'middleware' | 'sentry';

/** Limits of the error shapes: longer strings are cut, extra frames and tags dropped, by the sender or the relay. */
export const ERROR_LIMITS = {
  maxName: 200,
  maxMessage: 8192,
  maxStack: 32 * 1024,
  maxFrames: 100,
  maxPath: 2048,
  maxFunction: 512,
  maxTags: 50,
  maxTagKey: 64,
  maxTagValue: 512,
} as const;

/** A position in an original source file, found through a source map. Lines and columns are 1-based. */
export interface OriginalPosition {
  /** The source file as the source map names it, cleaned of bundler prefixes (`webpack://app/`, `./`, `../`). */
  file: string;
  line: number;
  column: number;
  /** The identifier the source map names at that position, if any. */
  name?: string;
  /**
   * The original name of the function the frame is in, when the source map tells it: the name the
   * caller's call site has in the original source (the next frame's mapped identifier), as Sentry
   * names the frames of minified code.
   */
  function?: string;
}

/** One frame of a stack, innermost (where the error was thrown) first. Lines and columns are 1-based. */
export interface ErrorFrame {
  function?: string;
  /** The URL (browser) or path (server) of the running file. */
  file?: string;
  line?: number;
  column?: number;
  /** Whether the frame is the app's own code (not a dependency, the runtime or Sentiero). */
  inApp: boolean;
  /** Where the frame is in the original source, when a source map told the relay. */
  original?: OriginalPosition;
}

/** The name to show for a frame's function: its original name when a source map gave one, else the running one, else the identifier at the position. */
export function frameFunction(f: ErrorFrame): string | undefined {
  return f.original?.function || f.function || f.original?.name;
}

/** The payload of a `sentiero/error@1` custom event: written by the recorder; `frames` and `groupId` are completed by the relay. */
export interface ErrorEventPayload {
  name: string;
  message: string;
  stack: string;
  frames?: ErrorFrame[];
  /** The error group this occurrence belongs to (set by the relay when it stores the event). */
  groupId?: string;
}

/** Who was affected, as the app says (never the IP address). */
export interface ErrorUser {
  id?: string;
  email?: string;
  username?: string;
}

/** Where, and for whom, an error happened: what a report may say besides the error itself. */
export interface ErrorContext {
  /** The recorded session it happened in, if known. */
  sessionId?: string;
  windowId?: string;
  /** The page (browser) or request (server) URL. */
  url?: string;
  user?: ErrorUser;
  tags?: Record<string, string>;
  release?: string;
  environment?: string;
}

/** One occurrence of an error. */
export interface ErrorOccurrence extends ErrorContext {
  id: string;
  groupId: string;
  /** When it happened (ms since epoch; the browser's clock for browser errors, like the session's events). */
  timestamp: number;
  /** When the relay received it (ms since epoch, relay clock). */
  receivedAt: number;
  origin: ErrorOrigin;
  via: ErrorVia;
  /** The error's type, e.g. `TypeError`. */
  name: string;
  message: string;
  frames: ErrorFrame[];
}

/** An error group: the occurrences that share a fingerprint (the error type and its normalised in-app frames). */
export interface ErrorGroup {
  /** The fingerprint, as an id. */
  id: string;
  /** Type of the first occurrence. */
  name: string;
  /** Message of the first occurrence. */
  message: string;
  /** The top in-app frame of the latest occurrence (the top frame when none is in-app). */
  culprit?: ErrorFrame;
  origin: ErrorOrigin;
  status: ErrorStatus;
  count: number;
  /** How many sessions it happened in. */
  sessionCount: number;
  firstSeen: number;
  lastSeen: number;
  /** When a person last changed the status (relay clock). */
  statusChangedAt?: number;
  /** When it last turned `regressed`. */
  regressedAt?: number;
}

/** A group's occurrences in one session: how many, and when (the times to replay). */
export interface ErrorGroupSession {
  sessionId: string;
  count: number;
  firstSeen: number;
  lastSeen: number;
}

/** One group with the sessions it happened in (most recent first) and its recent occurrences (newest first). */
export interface ErrorGroupDetail extends ErrorGroup {
  sessions: ErrorGroupSession[];
  occurrences: ErrorOccurrence[];
}

/** `GET <base>/api/errors`: groups, most recently seen first. */
export interface ErrorGroupListResponse {
  groups: ErrorGroup[];
  /** Pass as `cursor` to get the next page. */
  next?: string;
}

/** One group as it happened in one session. */
export interface SessionError extends ErrorGroupSession {
  group: ErrorGroup;
}

/** `GET <base>/api/sessions/:id/errors`: the session's error groups, in the order they first happened. */
export interface SessionErrorsResponse {
  errors: SessionError[];
}

/** `PATCH <base>/api/errors/:id`. */
export interface ErrorStatusChange {
  status: SettableErrorStatus;
}

/** `POST <base>/api/errors` (ingest key): an error reported by the app's server or any other process. */
export interface ErrorReport extends ErrorContext {
  /** The error's type; default `Error`. */
  name?: string;
  message: string;
  /** The stack as `error.stack` gives it; parsed by the relay. */
  stack?: string;
  /** Frames already parsed (innermost first); used instead of `stack`. */
  frames?: ErrorFrame[];
  /** When it happened (ms since epoch); default: when the relay received it. */
  timestamp?: number;
  /** Default `server`. Browser frames are mapped through source maps. */
  origin?: ErrorOrigin;
}

/** The answer to an accepted error report: the occurrence's id and its group. */
export interface ErrorReportAck {
  id: string;
  groupId: string;
}
