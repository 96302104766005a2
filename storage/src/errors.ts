/**
 * The coded error of every `Store`. The table in README.md mirrors `StoreErrorCode`; the
 * conformance suite asserts the codes.
 */

/** The error codes a `Store` rejects with. */
export const StoreErrorCode = {
  /** The store is not open: never opened, still opening, closing or closed. */
  NOT_OPEN: 'STORE_NOT_OPEN',
  /** An argument is missing, of the wrong type or out of range; the message names it. */
  INVALID_ARGUMENT: 'STORE_INVALID_ARGUMENT',
  /** Stored data could not be decoded (a damaged value or a foreign write). */
  CORRUPT: 'STORE_CORRUPT',
  /** `open()` failed, for example because another process holds the LevelDB folder; `cause` says why. */
  OPEN_FAILED: 'STORE_OPEN_FAILED',
  /** The backend failed an operation (I/O error, disk full…); `cause` holds its error. */
  BACKEND_FAILED: 'STORE_BACKEND_FAILED',
  /** The backend does not keep what was asked for (its `supports` says so; e.g. analytics digests). */
  NOT_SUPPORTED: 'STORE_NOT_SUPPORTED',
} as const;

/** One of the store's error codes. */
export type StoreErrorCode = (typeof StoreErrorCode)[keyof typeof StoreErrorCode];

/** An error with a documented `code`, thrown or rejected by every `Store` method. */
export class StoreError extends Error {
  /** The documented error code. */
  readonly code: StoreErrorCode;

  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StoreError';
    this.code = code;
  }
}
