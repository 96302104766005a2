/**
 * Analytics records: how the `Store`'s digest and segment hooks check their arguments and how
 * `LevelStore` keys and decodes them. Digests are kept under `digests` keyed by start time
 * (`hex(startedAt)!sessionId`), so that a time range is one sequential scan, with
 * `digest-keys` (session id → that key) beside them; segments under `segments` by id.
 */
import { validateSegment, validateSessionDigest, type Segment, type SessionDigest } from '@sentiero/protocol';
import { StoreError, StoreErrorCode } from './errors.ts';
import { hex } from './list.ts';

/** The time range of `scanDigests`: digests whose `startedAt` is within [from, to]. */
export interface DigestScanOptions {
  from?: number;
  to?: number;
}

const MAX_TIME = Number.MAX_SAFE_INTEGER;
const timePart = (t: number): string => hex(Math.min(Math.max(Math.floor(t), 0), MAX_TIME));

/** The key of a digest in `digests`: oldest `startedAt` first, ties by session id. */
export const digestKey = (d: SessionDigest): string => `${timePart(d.startedAt)}!${d.sessionId}`;

/** The key range of a scan (`!` sorts after every hex digit's key prefix and before `"`). */
export function digestRange(o: DigestScanOptions): { gte: string; lt: string } {
  return { gte: timePart(o.from ?? 0), lt: `${timePart(o.to ?? MAX_TIME)}"` };
}

/** A digest to store, validated (`STORE_INVALID_ARGUMENT` naming the field). */
export function checkDigest(v: unknown): SessionDigest {
  const r = validateSessionDigest(v);
  if (!r.ok) throw new StoreError(StoreErrorCode.INVALID_ARGUMENT, r.message);
  return r.value;
}

/** A segment to store, validated (`STORE_INVALID_ARGUMENT` naming the field). */
export function checkSegment(v: unknown): Segment {
  const r = validateSegment(v);
  if (!r.ok) throw new StoreError(StoreErrorCode.INVALID_ARGUMENT, r.message);
  return r.value;
}

/** Scan options, validated. */
export function checkScan(v: DigestScanOptions | undefined): DigestScanOptions {
  const o = v ?? {};
  if (typeof o !== 'object') throw new StoreError(StoreErrorCode.INVALID_ARGUMENT, 'options must be an object');
  for (const k of ['from', 'to'] as const) {
    if (o[k] !== undefined && (typeof o[k] !== 'number' || !Number.isFinite(o[k]))) throw new StoreError(StoreErrorCode.INVALID_ARGUMENT, `options.${k} must be a finite number`);
  }
  return { from: o.from, to: o.to };
}

/** Whether a digest is within a scan's range (for backends that do not scan by key). */
export const inScan = (d: SessionDigest, o: DigestScanOptions): boolean =>
  d.startedAt >= (o.from ?? -Infinity) && d.startedAt <= (o.to ?? Infinity);

/**
 * Decodes a stored digest. Written values were validated, so reading only checks that the
 * value is JSON of a digest (a scan of a million of them must not validate each field).
 */
export function parseDigest(text: string, key: string): SessionDigest {
  let d: SessionDigest;
  try {
    d = JSON.parse(text) as SessionDigest;
  } catch (err) {
    throw new StoreError(StoreErrorCode.CORRUPT, `the digest ${key} cannot be decoded`, { cause: err });
  }
  if (typeof d !== 'object' || d === null || typeof d.sessionId !== 'string' || !Array.isArray(d.pages)) {
    throw new StoreError(StoreErrorCode.CORRUPT, `the digest ${key} cannot be decoded`);
  }
  return d;
}

/** Decodes a stored segment. */
export function parseSegment(text: string, key: string): Segment {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new StoreError(StoreErrorCode.CORRUPT, `the segment ${key} cannot be decoded`, { cause: err });
  }
  const r = validateSegment(v);
  if (!r.ok) throw new StoreError(StoreErrorCode.CORRUPT, `the segment ${key} cannot be decoded: ${r.message}`);
  return r.value;
}
