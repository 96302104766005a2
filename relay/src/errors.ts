/** The relay's coded error. Codes are the protocol's (`@sentiero/protocol` ErrorCode) plus option errors, which throw `TypeError`. */
import { type ErrorCode, SentieroError, httpStatusFor } from '@sentiero/protocol';

/** An error the relay answers a client with: a documented code, its HTTP status and close code. */
export class RelayError extends SentieroError {
  constructor(code: ErrorCode, message: string, cause?: unknown) {
    super(code, message, { status: httpStatusFor(code), cause });
    this.name = 'RelayError';
  }
}
