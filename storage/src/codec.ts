/**
 * How a stored batch is encoded: one codec byte, then `{"r": receivedAt, "e": events}` as
 * JSON, compressed by that codec. The codec byte travels with each value, so a store reads
 * every codec whatever its `compression` option, and the option can change between opens.
 * Compression runs on libuv's thread pool (zlib's async API), not on the event loop.
 */
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { RecordedEvent } from '@sentiero/protocol';
import { StoreError, StoreErrorCode } from './errors.ts';

/** The compressions `LevelStore` can write. */
export const Compression = {
  /** Brotli at quality 4: about 9.5 % of the raw JSON on rrweb recordings, faster than gzip. */
  BROTLI: 'brotli',
  /** gzip at level 6: about 11 %, the fastest of the two. */
  GZIP: 'gzip',
  /** Stored as JSON text. */
  NONE: 'none',
} as const;

/** One of the compressions `LevelStore` can write. */
export type Compression = (typeof Compression)[keyof typeof Compression];

/** The brotli quality: 4 is the fastest before the ratio drops (quality 5 saves 1.5 % more at half the speed; see README). */
export const BROTLI_QUALITY = 4;
/** Brotli's window, as log2 bytes: 1 MiB covers the largest batch a recorder sends, and a smaller window costs less to set up per batch. */
export const BROTLI_WINDOW_BITS = 20;
/** The gzip level. */
export const GZIP_LEVEL = 6;

const CODEC_BYTE = { none: 0, gzip: 1, brotli: 2 } as const satisfies Record<Compression, number>;

const brotliCompress = promisify(zlib.brotliCompress);
const brotliDecompress = promisify(zlib.brotliDecompress);
const gzip = promisify(zlib.gzip);
const gunzip = promisify(zlib.gunzip);

/** What a stored batch holds besides its key. */
export interface BatchBody {
  receivedAt: number;
  events: RecordedEvent[];
}

/** Encodes a batch's body for storage. */
export async function encodeBatch(body: BatchBody, compression: Compression): Promise<Uint8Array> {
  const json = Buffer.from(JSON.stringify({ r: body.receivedAt, e: body.events }), 'utf8');
  let payload: Buffer;
  if (compression === Compression.BROTLI) {
    payload = await brotliCompress(json, {
      params: {
        [zlib.constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY,
        [zlib.constants.BROTLI_PARAM_LGWIN]: BROTLI_WINDOW_BITS,
        [zlib.constants.BROTLI_PARAM_SIZE_HINT]: json.length,
      },
    });
  } else if (compression === Compression.GZIP) {
    payload = await gzip(json, { level: GZIP_LEVEL });
  } else {
    payload = json;
  }
  const out = new Uint8Array(payload.length + 1);
  out[0] = CODEC_BYTE[compression];
  out.set(payload, 1);
  return out;
}

function corrupt(where: string, why: string, cause?: unknown): StoreError {
  return new StoreError(StoreErrorCode.CORRUPT, `the stored batch ${where} cannot be decoded: ${why}`, cause === undefined ? undefined : { cause });
}

/** Decodes a stored batch; anything that is not one is `STORE_CORRUPT`, naming `where`. */
export async function decodeBatch(value: Uint8Array, where: string): Promise<BatchBody> {
  if (value.length < 1) throw corrupt(where, 'the value is empty');
  const payload = Buffer.from(value.buffer, value.byteOffset + 1, value.length - 1);
  let json: Buffer;
  try {
    switch (value[0]) {
      case CODEC_BYTE.none: json = payload; break;
      case CODEC_BYTE.gzip: json = await gunzip(payload); break;
      case CODEC_BYTE.brotli: json = await brotliDecompress(payload); break;
      default: throw corrupt(where, `unknown codec byte ${value[0]}`);
    }
  } catch (err) {
    throw err instanceof StoreError ? err : corrupt(where, 'decompression failed', err);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(json.toString('utf8'));
  } catch (err) {
    throw corrupt(where, 'the payload is not JSON', err);
  }
  const { r, e } = (parsed ?? {}) as { r?: unknown; e?: unknown };
  if (typeof r !== 'number' || !Array.isArray(e)) throw corrupt(where, 'the payload is not a batch');
  return { receivedAt: r, events: e as RecordedEvent[] };
}
