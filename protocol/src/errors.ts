/**
 * Every coded error and WebSocket close code of the protocol, in one place.
 * The table in README.md mirrors this module; tests assert both codes and close codes.
 */

/** The error codes that travel in `error` messages, HTTP error bodies and thrown errors. */
export const ErrorCode = {
  /** A frame was not valid JSON. */
  BAD_JSON: 'SENTIERO_BAD_JSON',
  /** A message had an unknown `t`. */
  UNKNOWN_MESSAGE: 'SENTIERO_UNKNOWN_MESSAGE',
  /** A message had a missing field or a field of the wrong type. */
  INVALID_MESSAGE: 'SENTIERO_INVALID_MESSAGE',
  /** A frame, body or batch was larger than the configured limit. */
  PAYLOAD_TOO_LARGE: 'SENTIERO_PAYLOAD_TOO_LARGE',
  /** A `batch` came before `hello` on an ingest socket. */
  HELLO_REQUIRED: 'SENTIERO_HELLO_REQUIRED',
  /** A second `hello` on the same ingest socket. */
  HELLO_TWICE: 'SENTIERO_HELLO_TWICE',
  /** The protocol version in `hello` is not spoken by this relay. */
  UNSUPPORTED_VERSION: 'SENTIERO_UNSUPPORTED_VERSION',
  /** The request's Origin is not on the allowlist. */
  ORIGIN_NOT_ALLOWED: 'SENTIERO_ORIGIN_NOT_ALLOWED',
  /** Too many messages or requests in the rate window. */
  RATE_LIMITED: 'SENTIERO_RATE_LIMITED',
  /** No viewer token, or a wrong one. */
  UNAUTHORIZED: 'SENTIERO_UNAUTHORIZED',
  /** The watch socket's first message was not `auth`, or `auth` did not come in time. */
  AUTH_REQUIRED: 'SENTIERO_AUTH_REQUIRED',
  /** The session (or other resource) does not exist. */
  NOT_FOUND: 'SENTIERO_NOT_FOUND',
  /** A watcher fell too far behind and was cut off. */
  SLOW_CONSUMER: 'SENTIERO_SLOW_CONSUMER',
  /** The store could not take the write; the batch was not acknowledged. */
  STORE_FAILED: 'SENTIERO_STORE_FAILED',
  /** The relay is shutting down. */
  SHUTTING_DOWN: 'SENTIERO_SHUTTING_DOWN',
  /** An HTTP method that the route does not answer. */
  METHOD_NOT_ALLOWED: 'SENTIERO_METHOD_NOT_ALLOWED',
  /** A credential was given but it is not the ingest key (a wrong key, or the viewer token on an ingest route). */
  FORBIDDEN: 'SENTIERO_FORBIDDEN',
  /** A Sentry envelope that cannot be parsed (bad header line, item length past the end, an item that is not JSON). */
  BAD_ENVELOPE: 'SENTIERO_BAD_ENVELOPE',
  /** A compressed body (`Content-Encoding`) that does not decompress. */
  BAD_ENCODING: 'SENTIERO_BAD_ENCODING',
  /** A `Content-Encoding` other than gzip, deflate, br or identity. */
  UNSUPPORTED_ENCODING: 'SENTIERO_UNSUPPORTED_ENCODING',
  /** The session reached a per-session cap (`maxWindowsPerSession`, `maxEventsPerSession`, `maxBytesPerSession`): the relay takes no more of it; the recorder records a gap and stops sending for that session, never retries. */
  SESSION_LIMIT: 'SENTIERO_SESSION_LIMIT',
  /** An ingest socket sent no `hello` within `helloTimeoutMs`. */
  HELLO_TIMEOUT: 'SENTIERO_HELLO_TIMEOUT',
  /** One client address already has `maxSocketsPerAddress` ingest sockets open. */
  TOO_MANY_CONNECTIONS: 'SENTIERO_TOO_MANY_CONNECTIONS',
  /** A batch's `seq` ran more than `maxSeqAhead` past the acknowledged one. */
  SEQ_OUT_OF_WINDOW: 'SENTIERO_SEQ_OUT_OF_WINDOW',
  /** An unexpected failure inside the relay. */
  INTERNAL: 'SENTIERO_INTERNAL',
  // Analytics
  /** An analytics query, funnel or segment with a missing, malformed or contradictory parameter (the message names it). */
  INVALID_QUERY: 'SENTIERO_INVALID_QUERY',
} as const;

/** One of the protocol's error codes. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** WebSocket close codes: 1000/1001 for normal ends, 4xxx for each reason a relay closes a socket. */
export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  /** A text frame that is not valid UTF-8 (the WebSocket standard's code, sent by `ws` itself). */
  INVALID_PAYLOAD: 1007,
  /** A frame larger than `maxPayloadBytes` (the WebSocket standard's code, sent by `ws` itself). */
  MESSAGE_TOO_BIG: 1009,
  /** An unexpected failure inside the relay. */
  INTERNAL: 1011,
  BAD_JSON: 4400,
  INVALID_MESSAGE: 4401,
  UNKNOWN_MESSAGE: 4402,
  HELLO_REQUIRED: 4403,
  UNSUPPORTED_VERSION: 4404,
  PAYLOAD_TOO_LARGE: 4413,
  RATE_LIMITED: 4429,
  UNAUTHORIZED: 4001,
  AUTH_REQUIRED: 4002,
  SLOW_CONSUMER: 4008,
  HELLO_TIMEOUT: 4408,
  SEQ_OUT_OF_WINDOW: 4409,
  SESSION_LIMIT: 4410,
  TOO_MANY_CONNECTIONS: 4430,
  STORE_FAILED: 4500,
  SHUTTING_DOWN: 4503,
} as const;

/** One of the protocol's close codes. */
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** The close code a relay uses when a socket is closed because of the given error. */
export function closeCodeFor(code: ErrorCode): CloseCode {
  switch (code) {
    case ErrorCode.BAD_JSON: return CloseCode.BAD_JSON;
    case ErrorCode.UNKNOWN_MESSAGE: return CloseCode.UNKNOWN_MESSAGE;
    case ErrorCode.INVALID_MESSAGE: return CloseCode.INVALID_MESSAGE;
    case ErrorCode.PAYLOAD_TOO_LARGE: return CloseCode.PAYLOAD_TOO_LARGE;
    case ErrorCode.HELLO_REQUIRED:
    case ErrorCode.HELLO_TWICE: return CloseCode.HELLO_REQUIRED;
    case ErrorCode.UNSUPPORTED_VERSION: return CloseCode.UNSUPPORTED_VERSION;
    case ErrorCode.RATE_LIMITED: return CloseCode.RATE_LIMITED;
    case ErrorCode.UNAUTHORIZED: return CloseCode.UNAUTHORIZED;
    case ErrorCode.AUTH_REQUIRED: return CloseCode.AUTH_REQUIRED;
    case ErrorCode.SLOW_CONSUMER: return CloseCode.SLOW_CONSUMER;
    case ErrorCode.STORE_FAILED: return CloseCode.STORE_FAILED;
    case ErrorCode.SHUTTING_DOWN: return CloseCode.SHUTTING_DOWN;
    case ErrorCode.HELLO_TIMEOUT: return CloseCode.HELLO_TIMEOUT;
    case ErrorCode.SEQ_OUT_OF_WINDOW: return CloseCode.SEQ_OUT_OF_WINDOW;
    case ErrorCode.SESSION_LIMIT: return CloseCode.SESSION_LIMIT;
    case ErrorCode.TOO_MANY_CONNECTIONS: return CloseCode.TOO_MANY_CONNECTIONS;
    case ErrorCode.NOT_FOUND:
    case ErrorCode.METHOD_NOT_ALLOWED: return CloseCode.INVALID_MESSAGE;
    case ErrorCode.ORIGIN_NOT_ALLOWED:
    case ErrorCode.FORBIDDEN: return CloseCode.UNAUTHORIZED;
    case ErrorCode.BAD_ENVELOPE:
    case ErrorCode.BAD_ENCODING:
    case ErrorCode.UNSUPPORTED_ENCODING:
    case ErrorCode.INVALID_QUERY: return CloseCode.INVALID_MESSAGE;
    default: return CloseCode.INTERNAL;
  }
}

/** The HTTP status a relay answers with for the given error. */
export function httpStatusFor(code: ErrorCode): number {
  switch (code) {
    case ErrorCode.BAD_JSON:
    case ErrorCode.UNKNOWN_MESSAGE:
    case ErrorCode.INVALID_MESSAGE:
    case ErrorCode.UNSUPPORTED_VERSION:
    case ErrorCode.BAD_ENVELOPE:
    case ErrorCode.BAD_ENCODING:
    case ErrorCode.INVALID_QUERY: return 400;
    case ErrorCode.UNAUTHORIZED:
    case ErrorCode.AUTH_REQUIRED: return 401;
    case ErrorCode.ORIGIN_NOT_ALLOWED:
    case ErrorCode.FORBIDDEN: return 403;
    case ErrorCode.NOT_FOUND: return 404;
    case ErrorCode.HELLO_TIMEOUT: return 408;
    case ErrorCode.SEQ_OUT_OF_WINDOW: return 409;
    case ErrorCode.METHOD_NOT_ALLOWED: return 405;
    case ErrorCode.PAYLOAD_TOO_LARGE:
    case ErrorCode.SESSION_LIMIT: return 413;
    case ErrorCode.UNSUPPORTED_ENCODING: return 415;
    case ErrorCode.RATE_LIMITED:
    case ErrorCode.TOO_MANY_CONNECTIONS: return 429;
    case ErrorCode.SHUTTING_DOWN:
    case ErrorCode.STORE_FAILED: return 503;
    default: return 500;
  }
}

/** An error with a documented `code`, thrown by the protocol client and used across packages. */
export class SentieroError extends Error {
  /** The documented error code. */
  readonly code: ErrorCode;
  /** The HTTP status, when the error came from (or goes to) an HTTP answer. */
  readonly status: number | undefined;

  constructor(code: ErrorCode, message: string, options?: { status?: number; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SentieroError';
    this.code = code;
    this.status = options?.status;
  }
}
