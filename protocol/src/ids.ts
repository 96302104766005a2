/** Id generation and checks, the same in Node and browsers (Web Crypto). */

/** Crockford's base-32 alphabet: 32 symbols, so `byte & 31` picks one without bias. */
const BASE32 = '0123456789abcdefghjkmnpqrstvwxyz';

/**
 * A new id: a millisecond time prefix (so ids sort by creation) and 16 random base-36
 * characters from the platform's CSPRNG. Example: `lxk2f9a0-4h2k9d8s7a6f5g4j`.
 */
export function createId(now: number = Date.now()): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  let rand = '';
  for (const b of bytes) rand += BASE32[b & 31];
  return `${now.toString(36).padStart(9, '0')}-${rand}`;
}

/** A new secret for tokens and keys: 24 random bytes as 48 hex digits (letters and digits only, so it fits a Sentry DSN). */
export function createSecret(): string {
  const bytes = new Uint8Array(24);
  globalThis.crypto.getRandomValues(bytes);
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

const ID_RE = /^[A-Za-z0-9_-]{1,64}$/;

/** Whether `value` is an acceptable session or window id: 1–64 of letters, digits, `_` and `-`. */
export function isValidId(value: unknown): value is string {
  return typeof value === 'string' && ID_RE.test(value);
}
