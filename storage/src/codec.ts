/**
 * How a stored batch is encoded: one codec byte, then `{"r": receivedAt, "t": first event's
 * timestamp, "e": events}` as JSON (`t` only when there are events; batches written before it
 * have none), compressed by that codec. The codec byte travels with each value, so a store reads
 * every codec whatever its `compression` option, and the option can change between opens.
 * Compression runs on libuv's thread pool (zlib's async API), not on the event loop.
 *
 * `r` and `t` come first so that `decodeBatchJson` can hand the events' JSON on without parsing it.
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

/** A batch's body as the JSON text that is stored (before compression). */
export function batchText(body: BatchBody): string {
  const { receivedAt: r, events: e } = body;
  return JSON.stringify(e.length > 0 ? { r, t: e[0]!.timestamp, e } : { r, e });
}

/** A batch's body with its events left as JSON text. */
export interface BatchJson {
  receivedAt: number;
  /** The first event's timestamp (`receivedAt` without events). */
  time: number;
  eventsJson: string;
}

const NUMBER = String.raw`-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?`;
const HEAD = new RegExp(`^\\{"r":(${NUMBER})(?:,"t":(${NUMBER}))?,"e":\\[`);

/**
 * Reads `batchText`'s output without parsing the events: their JSON is checked for its frame
 * only (an array closing the object) and handed on as stored. Anything else is `STORE_CORRUPT`.
 */
export function parseBatchText(text: string, where: string): BatchJson {
  const head = HEAD.exec(text);
  if (!head || !text.endsWith(']}')) throw corrupt(where, 'the payload is not a batch');
  const receivedAt = Number(head[1]);
  const eventsJson = text.slice(head[0].length - 1, -1);
  if (head[2] !== undefined) return { receivedAt, time: Number(head[2]), eventsJson };
  if (eventsJson === '[]') return { receivedAt, time: receivedAt, eventsJson };
  // Written before `t` was: the first event's timestamp needs the events parsed, once.
  let first: { timestamp?: unknown } | undefined;
  try {
    first = (JSON.parse(eventsJson) as { timestamp?: unknown }[])[0];
  } catch (err) {
    throw corrupt(where, 'the payload is not JSON', err);
  }
  if (typeof first?.timestamp !== 'number') throw corrupt(where, 'the payload is not a batch');
  return { receivedAt, time: first.timestamp, eventsJson };
}

/** Encodes a batch's body for storage. */
export async function encodeBatch(body: BatchBody, compression: Compression): Promise<Uint8Array> {
  const json = Buffer.from(batchText(body), 'utf8');
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
  const json = await inflate(value, where);
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

/** Decodes a stored batch, leaving its events as JSON text (see `parseBatchText`). */
export async function decodeBatchJson(value: Uint8Array, where: string): Promise<BatchJson> {
  return parseBatchText((await inflate(value, where)).toString('utf8'), where);
}

/** A stored value's JSON bytes, decompressed by its codec. */
async function inflate(value: Uint8Array, where: string): Promise<Buffer> {
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
  return json;
}
