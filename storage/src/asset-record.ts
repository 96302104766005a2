/**
 * Captured assets: how the `Store`'s asset hooks check their arguments and how every backend
 * encodes them. An asset's bytes are kept once, under the SHA-256 of the bytes (hex), shared by
 * every session that saw them: text types (CSS, SVG) compressed with brotli, images and fonts
 * (already compressed) as they are. A session keeps its own map of URL → hash (or the code of
 * the failure), because what a URL serves changes with every deploy.
 */
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { StoreError, StoreErrorCode } from './errors.ts';

/** An asset to keep: its content type and bytes. */
export interface AssetInput {
  /** The content type it was served with (`text/css; charset=utf-8`, `font/woff2`, `image/png`), at most 200 characters. */
  type: string;
  body: Uint8Array;
}

/** An asset as kept: what was given, and its hash. */
export interface StoredAsset extends AssetInput {
  /** The SHA-256 of `body`, hex. */
  hash: string;
}

/** What a session saw at one URL: the hash of the bytes captured, or the code of why nothing was. */
export interface AssetRef {
  /** The absolute http(s) URL, as the recording has it resolved (at most 4096 characters). */
  url: string;
  /** The captured asset's hash; absent when the capture failed. */
  hash?: string;
  /** Why there is no copy (`SENTIERO_FORBIDDEN`, `SENTIERO_ASSET_FAILED`, …); absent when there is one. */
  error?: string;
  /** When it was captured or refused (ms since epoch). */
  at: number;
}

/** The largest asset a store keeps (the relay's own cap is lower: `captureAssets.maxBytes`). */
export const MAX_ASSET_BYTES = 50_000_000;
/** The longest URL an asset ref may have. */
export const MAX_ASSET_URL = 4096;
/** Refs written by one `putAssetRefs` call at most. */
export const MAX_ASSET_REFS_PER_CALL = 1000;

const HASH = /^[0-9a-f]{64}$/;
const TYPE = /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+(?:\s*;[\x20-\x7e]*)?$/i;
const CODE = /^[A-Z0-9_]{1,64}$/;

const invalid = (message: string): never => {
  throw new StoreError(StoreErrorCode.INVALID_ARGUMENT, message);
};

/** The SHA-256 of an asset's bytes, hex: its key in the store. */
export function assetHash(body: Uint8Array): string {
  return createHash('sha256').update(body).digest('hex');
}

/** An asset to keep, checked (`STORE_INVALID_ARGUMENT`). */
export function checkAsset(v: unknown): AssetInput {
  const a = v as Partial<AssetInput> | null;
  if (typeof a !== 'object' || a === null) return invalid('asset must be an object { type, body }');
  if (typeof a.type !== 'string' || a.type.length > 200 || !TYPE.test(a.type)) return invalid('asset.type must be a content type of at most 200 characters');
  if (!(a.body instanceof Uint8Array)) return invalid('asset.body must be a Uint8Array');
  if (a.body.byteLength > MAX_ASSET_BYTES) return invalid(`asset.body must be at most ${MAX_ASSET_BYTES} bytes`);
  return { type: a.type, body: a.body };
}

/** An asset's hash, checked (`STORE_INVALID_ARGUMENT`). */
export function checkAssetHash(v: unknown): string {
  return typeof v === 'string' && HASH.test(v) ? v : invalid('hash must be a SHA-256 in hex (64 lower-case hex digits)');
}

/** A ref's URL, checked (`STORE_INVALID_ARGUMENT`). */
export function checkAssetUrl(v: unknown, path = 'url'): string {
  return typeof v === 'string' && /^https?:\/\/[^\s]+$/i.test(v) && v.length <= MAX_ASSET_URL ? v : invalid(`${path} must be an absolute http(s) URL of at most ${MAX_ASSET_URL} characters`);
}

/** Refs to keep, checked (`STORE_INVALID_ARGUMENT`): each with a URL, a time, and either a hash or an error code. */
export function checkAssetRefs(v: unknown): AssetRef[] {
  if (!Array.isArray(v) || v.length > MAX_ASSET_REFS_PER_CALL) return invalid(`refs must be an array of at most ${MAX_ASSET_REFS_PER_CALL} refs`);
  return v.map((r: Partial<AssetRef> | null, i) => {
    if (typeof r !== 'object' || r === null) return invalid(`refs[${i}] must be an object`);
    const url = checkAssetUrl(r.url, `refs[${i}].url`);
    if (typeof r.at !== 'number' || !Number.isFinite(r.at)) return invalid(`refs[${i}].at must be a finite number`);
    if ((r.hash === undefined) === (r.error === undefined)) return invalid(`refs[${i}] must have a hash or an error, not both`);
    if (r.hash !== undefined) return { url, hash: checkAssetHash(r.hash), at: r.at };
    if (typeof r.error !== 'string' || !CODE.test(r.error)) return invalid(`refs[${i}].error must be an error code`);
    return { url, error: r.error, at: r.at };
  });
}

/** Whether a type is worth compressing: text (CSS, SVG, JSON-ish); images and fonts are compressed already. */
const compressible = (type: string): boolean => /^text\/|^image\/svg\+xml|\+xml\b|\+json\b/i.test(type);

const brotli = promisify(zlib.brotliCompress);
const unbrotli = promisify(zlib.brotliDecompress);

/** Format byte of an encoded asset: its body as it is, or brotli-compressed. */
const RAW = 0;
const BROTLI = 1;

/**
 * An asset as bytes to keep: a format byte, the type's length (one byte) and the type, then the
 * body (brotli for text types, off the event loop).
 */
export async function encodeAsset(asset: AssetInput): Promise<Uint8Array> {
  const type = Buffer.from(asset.type, 'latin1');
  const squeeze = compressible(asset.type);
  const body = squeeze
    ? await brotli(asset.body, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 9, [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT } })
    : asset.body;
  return Buffer.concat([Buffer.from([squeeze ? BROTLI : RAW, type.length]), type, body]);
}

/** The asset `encodeAsset` wrote (`STORE_CORRUPT` when it is not one). */
export async function decodeAsset(hash: string, bytes: Uint8Array): Promise<StoredAsset> {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const corrupt = (why: string) => new StoreError(StoreErrorCode.CORRUPT, `the asset ${hash} is damaged: ${why}`);
  if (buf.length < 2 || (buf[0] !== RAW && buf[0] !== BROTLI)) throw corrupt('unknown format');
  const end = 2 + buf[1]!;
  if (buf.length < end) throw corrupt('truncated');
  const type = buf.subarray(2, end).toString('latin1');
  let body: Uint8Array = buf.subarray(end);
  if (buf[0] === BROTLI) {
    try {
      body = await unbrotli(body);
    } catch (err) {
      throw corrupt((err as Error).message);
    }
  }
  return { hash, type, body };
}

/** A ref as JSON text (its URL is the key it is kept under). */
export const encodeAssetRef = (ref: AssetRef): string => JSON.stringify(ref.hash !== undefined ? { hash: ref.hash, at: ref.at } : { error: ref.error, at: ref.at });

/** The ref `encodeAssetRef` wrote for `url`. */
export function decodeAssetRef(url: string, text: string): AssetRef {
  try {
    const v = JSON.parse(text) as Omit<AssetRef, 'url'>;
    return v.hash !== undefined ? { url, hash: v.hash, at: v.at } : { url, error: v.error, at: v.at };
  } catch {
    throw new StoreError(StoreErrorCode.CORRUPT, `the asset ref of ${url} is damaged`);
  }
}
