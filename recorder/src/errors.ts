/**
 * The recorder's own failures. None of them is ever thrown into the host page: each is
 * handed to `onError` (by default, the first one is written with `console.debug`).
 */

/** Codes of the recorder's own failures (they never travel on the wire). */
export const RecorderErrorCode = {
  /** An option had a wrong value; its default was used instead. */
  BAD_OPTION: 'SENTIERO_RECORDER_BAD_OPTION',
  /** `localStorage` or `sessionStorage` is unavailable or full; state lives in memory only. */
  STORAGE: 'SENTIERO_RECORDER_STORAGE',
  /** rrweb failed while capturing. */
  CAPTURE: 'SENTIERO_RECORDER_CAPTURE',
  /** The relay could not be reached, answered with an `error`, or closed the socket with a 4xxx code. */
  TRANSPORT: 'SENTIERO_RECORDER_TRANSPORT',
  /** The relay rejected a batch for good; it was replaced by a gap marker. */
  REJECTED: 'SENTIERO_RECORDER_REJECTED',
  /** The relay takes no more of this session (a per-session cap): what was undelivered became a gap marker and nothing more is sent for the session. */
  SESSION_LIMIT: 'SENTIERO_RECORDER_SESSION_LIMIT',
  /** Events that could not be delivered before the recorder stopped or rolled over. */
  LOST: 'SENTIERO_RECORDER_LOST',
  /** `addEvent` was called with a bad name or props that cannot be serialized. */
  BAD_EVENT: 'SENTIERO_RECORDER_BAD_EVENT',
  /** An unexpected failure inside the recorder. */
  INTERNAL: 'SENTIERO_RECORDER_INTERNAL',
} as const;

/** One of the recorder's error codes. */
export type RecorderErrorCode = (typeof RecorderErrorCode)[keyof typeof RecorderErrorCode];

/** A recorder failure with a documented `code`, as passed to `onError`. */
export class RecorderError extends Error {
  /** The documented error code. */
  readonly code: RecorderErrorCode;

  constructor(code: RecorderErrorCode, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'RecorderError';
    this.code = code;
  }
}

/** Reports a failure; never throws. */
export type Report = (code: RecorderErrorCode, message: string, cause?: unknown) => void;

let ownLogDepth = 0;

/** Writes one of the recorder's own console lines; console capture never records it. */
export function ownLog(write: () => void): void {
  ownLogDepth++;
  try {
    write();
  } finally {
    ownLogDepth--;
  }
}

/** Whether the console call being made is the recorder's own (see `ownLog`). */
export function inOwnLog(): boolean {
  return ownLogDepth > 0;
}

/** The default `onError`: the first failure only, with `console.debug`, so a broken relay never floods the console. */
export function createDefaultOnError(): (error: RecorderError) => void {
  let said = false;
  return (error) => {
    if (said) return;
    said = true;
    try {
      ownLog(() => console.debug(`[sentiero] ${error.code}: ${error.message} (further recorder errors are not logged; pass onError to see them)`));
    } catch { /* a console that throws is not our problem to report */ }
  };
}

/** Wraps `onError` so that neither building the error nor a throwing handler reaches the page. */
export function createReport(onError: (error: RecorderError) => void): Report {
  return (code, message, cause) => {
    try {
      onError(new RecorderError(code, message, cause));
    } catch { /* the page's own handler failed: nothing left to tell */ }
  };
}

/** Runs `fn`, reporting anything it throws as `INTERNAL` (or `code`), and returns its result or `fallback`. */
export function guard<T>(report: Report, what: string, fn: () => T, fallback: T, code: RecorderErrorCode = RecorderErrorCode.INTERNAL): T {
  try {
    return fn();
  } catch (err) {
    report(code, `${what} failed: ${describe(err)}`, err);
    return fallback;
  }
}

/** A short text for any thrown value. */
export function describe(err: unknown): string {
  try {
    return err instanceof Error ? err.message : String(err);
  } catch {
    return 'unknown error';
  }
}
