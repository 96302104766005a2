/**
 * Payloads of the console and network capture events (`CustomTag.CONSOLE`, `CustomTag.NETWORK`),
 * written by the recorder's opt-in `captureConsole` and `captureNetwork` and read by the viewer's
 * Console and Network panes. Every text in them is the page's and untrusted: shown as text only.
 */

/** The console methods recorded. */
export const ConsoleLevel = {
  LOG: 'log',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
  DEBUG: 'debug',
  /** A failed `console.assert` (a passing one writes nothing). */
  ASSERT: 'assert',
  TRACE: 'trace',
} as const;

/** One of the console levels. */
export type ConsoleLevel = (typeof ConsoleLevel)[keyof typeof ConsoleLevel];

/** A console call: its arguments as text previews (capped, DOM nodes as descriptors, never an input's value). */
export interface ConsolePayload {
  level: ConsoleLevel;
  /** One preview per argument. */
  args: string[];
  /** Set on a fold: the same message (level, args, stack) was repeated this many more times in a row after the event before it. */
  count?: number;
  /** The call's stack (without the recorder's frame), for `error`, `assert` and `trace`. */
  stack?: string;
  /** Messages not recorded just before this one because the page logged faster than the recorder's budget. */
  dropped?: number;
}

/** What made a request. */
export const NetworkInitiator = {
  FETCH: 'fetch',
  XHR: 'xhr',
  BEACON: 'beacon',
  WEBSOCKET: 'websocket',
} as const;

/** One of the initiator types. */
export type NetworkInitiator = (typeof NetworkInitiator)[keyof typeof NetworkInitiator];

/**
 * A request the page made, written when it ended (the event's own timestamp) and placed in the
 * replay at `startedAt`. Headers and bodies are present only where the recorder's options allow
 * them (`networkHeaders`, `networkBodies`), and bodies are capped (`bodyTruncated`).
 */
export interface NetworkPayload {
  type: NetworkInitiator;
  /** Upper-case method; `GET` for a WebSocket, `POST` for a beacon. */
  method: string;
  /** The absolute URL (capped at 2048 characters). */
  url: string;
  /** The HTTP status; 101 for an opened WebSocket; 0 when there is none (failed, aborted, a beacon). */
  status: number;
  /** When the request started (ms since epoch, recorder clock). */
  startedAt: number;
  /** Until the response's headers (fetch), its end (XHR, or fetch with a recorded body), or the socket's open (WebSocket); 0 for a beacon. */
  durationMs: number;
  /** Request body bytes, where known. */
  requestSize?: number;
  /** Response body bytes, where known (`Content-Length`, or the body read). */
  responseSize?: number;
  /** The request never got an answer (network error, refused socket, beacon not queued). */
  failed?: true;
  /** The page aborted it. */
  aborted?: true;
  /** Why it failed, as the browser said (capped). */
  error?: string;
  /** The response's `Content-Type`. */
  contentType?: string;
  /** Allowed request headers (lower-case names). */
  requestHeaders?: Record<string, string>;
  /** Allowed response headers (lower-case names). */
  responseHeaders?: Record<string, string>;
  /** The request body as text, when allowed for its URL. */
  requestBody?: string;
  /** The response body as text, when allowed for its URL and textual. */
  responseBody?: string;
  /** A recorded body was cut at the cap. */
  bodyTruncated?: true;
}
