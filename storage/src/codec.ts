/**
 * How a stored batch is encoded: one codec byte, then `{"r": receivedAt, "t": first event's
 * timestamp, "e": events}` as JSON (`t` only when there are events; batches written before it
 * have none), compressed by that codec. The codec byte travels with each value, so a store reads
 * every codec whatever its `compression` option, and the option can change between opens.
 * Compression runs on libuv's thread pool (zlib's async API), not on the event loop.
 *
 * `r` and `t` come first so that `decodeBatchJson` can hand the events' JSON on without parsing it.
 *
 * The window codec compresses a batch with its window's context: Node's brotli takes no custom
 * dictionary, so the encoder is primed instead. It compresses the window's dictionary text
 * (its first batches) and flushes, which gives the same bytes every time (`primed`, stored once
 * per window), then compresses the batch, whose bytes (the rest of the stream) are stored. The
 * batch's matches reach back into the dictionary: the full snapshot and the first mutations hold
 * most of the strings later batches repeat. Decoding runs `primed` + rest through brotli and
 * drops the dictionary's text from the front.
 */
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { RecordedEvent } from '@sentiero/protocol';
import { StoreError, StoreErrorCode } from './errors.ts';

/** The compressions `LevelStore` can write. */
export const Compression = {
  /** Brotli at quality 5 against the window's dictionary (its first 64 KiB of batches): about 7.5 % of the raw JSON (brotli per batch: 9.5–11 %). */
  BROTLI_WINDOW: 'brotli-window',
  /** Brotli at quality 4, each batch on its own: about 10.8 % of the raw JSON on rrweb recordings. */
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

/** The window codec's brotli quality: 5 matches far better than 4 across the dictionary (about 0.070 of the raw JSON against 0.083). */
export const WINDOW_QUALITY = 5;
/** The window codec's brotli window, as log2 bytes: the dictionary and a batch of up to 4 MiB in one window. */
export const WINDOW_BITS = 22;
/** How much of a window's first batches its dictionary holds (the last bytes of their text, in arrival order). */
export const DICTIONARY_BYTES = 64 * 1024;
/**
 * The dictionary's tails a batch may be primed with: priming costs as much as compressing the
 * tail, so a batch takes the shortest tail at least 8× its size (the whole dictionary from
 * 2 KiB up), and a small batch does not pay for 64 KiB.
 */
export const DICTIONARY_LEVELS = [4 * 1024, 16 * 1024, DICTIONARY_BYTES] as const;
/** Batches shorter than this (as JSON) are compressed on their own: they gain a few bytes from a dictionary, and the stream it takes costs more than they do. */
export const DICTIONARY_MIN_BATCH = 1024;

const CODEC_BYTE = { none: 0, gzip: 1, brotli: 2, window: 3 } as const;

const brotliCompress = promisify(zlib.brotliCompress);
const brotliDecompress = promisify(zlib.brotliDecompress);
const gzip = promisify(zlib.gzip);
const gunzip = promisify(zlib.gunzip);

/** What a stored batch holds besides its key. */
export interface BatchBody {
  receivedAt: number;
  events: RecordedEvent[];
  /** `events` as JSON text, when the writer has it already (see `BatchInput.eventsJson`): stored as it is instead of serialising `events` again. */
  eventsJson?: string;
}

/** A batch's body as the JSON text that is stored (before compression). */
export function batchText(body: BatchBody): string {
  const { receivedAt: r, events: e, eventsJson } = body;
  if (eventsJson !== undefined) return e.length > 0 ? `{"r":${JSON.stringify(r)},"t":${JSON.stringify(e[0]!.timestamp)},"e":${eventsJson}}` : `{"r":${JSON.stringify(r)},"e":${eventsJson}}`;
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

/** A window's dictionary: its text, and for each of `DICTIONARY_LEVELS` the brotli stream that tail of the text starts, flushed. */
export interface Dictionary {
  text: Buffer;
  primed: Buffer[];
}

/** The size hint every window-codec stream gets: one constant, since a hint changes the bytes, and `primed` must not change; this one sets brotli up for a dictionary and a batch, for about 1.6× less CPU than none. */
const WINDOW_SIZE_HINT = 256 * 1024;

const WINDOW_PARAMS = {
  [zlib.constants.BROTLI_PARAM_QUALITY]: WINDOW_QUALITY,
  [zlib.constants.BROTLI_PARAM_LGWIN]: WINDOW_BITS,
  [zlib.constants.BROTLI_PARAM_SIZE_HINT]: WINDOW_SIZE_HINT,
};

/** Compresses `text`, flushes, then compresses `rest`: the bytes up to the flush, and those after. */
function primedStream(text: Buffer, rest: Buffer): Promise<{ primed: Buffer; after: Buffer }> {
  return new Promise((resolve, reject) => {
    const stream = zlib.createBrotliCompress({ params: WINDOW_PARAMS });
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.once('error', reject);
    stream.write(text);
    stream.flush(zlib.constants.BROTLI_OPERATION_FLUSH, () => {
      const primed = Buffer.concat(chunks);
      chunks.length = 0;
      stream.once('end', () => resolve({ primed, after: Buffer.concat(chunks) }));
      stream.end(rest);
    });
  });
}

const tailOf = (text: Buffer, level: number): Buffer => text.subarray(Math.max(0, text.length - DICTIONARY_LEVELS[level]));

/** A dictionary of the given text (its last `DICTIONARY_BYTES`, which it must have). */
export async function createDictionary(text: Buffer): Promise<Dictionary> {
  const tail = Buffer.from(text.subarray(text.length - DICTIONARY_BYTES));
  const primed = await Promise.all(DICTIONARY_LEVELS.map(async (_, level) => (await primedStream(tailOf(tail, level), Buffer.alloc(0))).primed));
  return { text: tail, primed };
}

/** A dictionary as stored: for each level, the length of its `primed` (4 bytes, big-endian) and `primed`. */
export function encodeDictionary(dictionary: Dictionary): Uint8Array {
  return Buffer.concat(dictionary.primed.flatMap((p) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(p.length, 0);
    return [length, p];
  }));
}

/** Reads a stored dictionary back (its text decompressed from the last level's `primed`); anything else is `STORE_CORRUPT`, naming `where`. */
export async function decodeDictionary(value: Uint8Array, where: string): Promise<Dictionary> {
  const bad = (why: string, cause?: unknown): StoreError =>
    new StoreError(StoreErrorCode.CORRUPT, `the dictionary ${where} cannot be decoded: ${why}`, cause === undefined ? undefined : { cause });
  const buf = Buffer.from(value.buffer, value.byteOffset, value.length);
  const primed: Buffer[] = [];
  for (let at = 0; at < buf.length;) {
    if (at + 4 > buf.length) throw bad('it is cut short');
    const length = buf.readUInt32BE(at);
    if (at + 4 + length > buf.length) throw bad('it is cut short');
    primed.push(Buffer.from(buf.subarray(at + 4, at + 4 + length)));
    at += 4 + length;
  }
  if (primed.length !== DICTIONARY_LEVELS.length) throw bad(`it holds ${primed.length} levels, not ${DICTIONARY_LEVELS.length}`);
  const full = primed[primed.length - 1];
  let text: Buffer;
  try {
    text = await new Promise<Buffer>((resolve, reject) => {
      const stream = zlib.createBrotliDecompress();
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.once('error', reject);
      stream.write(full);
      stream.flush(() => {
        resolve(Buffer.concat(chunks));
        stream.destroy();
      });
    });
  } catch (err) {
    throw bad('decompression failed', err);
  }
  if (text.length !== DICTIONARY_BYTES) throw bad(`it holds ${text.length} bytes of text, not ${DICTIONARY_BYTES}`);
  return { text, primed };
}

/** Encodes a batch's body for storage. */
export async function encodeBatch(body: BatchBody, compression: Compression, dictionary?: Dictionary): Promise<Uint8Array> {
  return encodeBatchText(Buffer.from(batchText(body), 'utf8'), compression, dictionary);
}

/**
 * Encodes a batch's text (`batchText`) for storage. The window codec needs the window's
 * dictionary; without one (the window's first batches), for a batch under
 * `DICTIONARY_MIN_BATCH`, and should this brotli not prime the dictionary to the bytes stored,
 * the batch is compressed on its own as with `'brotli'`.
 */
export async function encodeBatchText(json: Buffer, compression: Compression, dictionary?: Dictionary): Promise<Uint8Array> {
  if (compression === Compression.BROTLI_WINDOW && dictionary && json.length >= DICTIONARY_MIN_BATCH) {
    const found = DICTIONARY_LEVELS.findIndex((size) => size >= 8 * json.length);
    const level = found < 0 ? DICTIONARY_LEVELS.length - 1 : found;
    const { primed, after } = await primedStream(tailOf(dictionary.text, level), json);
    if (primed.equals(dictionary.primed[level])) return withCodec(CODEC_BYTE.window, after, level);
  }
  let payload: Buffer;
  let codec: number = CODEC_BYTE.none;
  if (compression === Compression.BROTLI || compression === Compression.BROTLI_WINDOW) {
    codec = CODEC_BYTE.brotli;
    payload = await brotliCompress(json, brotliOptions(json.length));
  } else if (compression === Compression.GZIP) {
    codec = CODEC_BYTE.gzip;
    payload = await gzip(json, { level: GZIP_LEVEL });
  } else {
    payload = json;
  }
  return withCodec(codec, payload);
}

/**
 * `encodeBatchText` on the calling thread, without the window codec (same bytes). For small
 * batches: measured on the recording fixture's batches (about 24 KB of JSON), brotli on
 * libuv's thread pool took 2–3× the CPU of the same work on the calling thread (the hand-off,
 * and an encoder's memory mapped afresh in each pool thread), for about 0.3 ms of it per batch.
 */
export function encodeBatchTextSync(json: Buffer, compression: typeof Compression.BROTLI | typeof Compression.GZIP | typeof Compression.NONE): Uint8Array {
  if (compression === Compression.BROTLI) return withCodec(CODEC_BYTE.brotli, zlib.brotliCompressSync(json, brotliOptions(json.length)));
  if (compression === Compression.GZIP) return withCodec(CODEC_BYTE.gzip, zlib.gzipSync(json, { level: GZIP_LEVEL }));
  return withCodec(CODEC_BYTE.none, json);
}

/** The options of a batch's brotli (`'brotli'`, and the window codec's batches compressed on their own). */
function brotliOptions(length: number): zlib.BrotliOptions {
  return {
    params: {
      [zlib.constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY,
      [zlib.constants.BROTLI_PARAM_LGWIN]: BROTLI_WINDOW_BITS,
      [zlib.constants.BROTLI_PARAM_SIZE_HINT]: length,
    },
  };
}

/** The codec byte, the window codec's level byte when given, then the payload. */
function withCodec(codec: number, payload: Buffer, level?: number): Uint8Array {
  const head = level === undefined ? 1 : 2;
  const out = new Uint8Array(payload.length + head);
  out[0] = codec;
  if (level !== undefined) out[1] = level;
  out.set(payload, head);
  return out;
}

/** Loads the dictionary of the window a stored value belongs to (only called for values of the window codec). */
export type DictionaryLoader = () => Promise<Dictionary | undefined>;

function corrupt(where: string, why: string, cause?: unknown): StoreError {
  return new StoreError(StoreErrorCode.CORRUPT, `the stored batch ${where} cannot be decoded: ${why}`, cause === undefined ? undefined : { cause });
}

/** Decodes a stored batch; anything that is not one is `STORE_CORRUPT`, naming `where`. */
export async function decodeBatch(value: Uint8Array, where: string, dictionary?: DictionaryLoader): Promise<BatchBody> {
  const json = await inflate(value, where, dictionary);
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
export async function decodeBatchJson(value: Uint8Array, where: string, dictionary?: DictionaryLoader): Promise<BatchJson> {
  return parseBatchText((await inflate(value, where, dictionary)).toString('utf8'), where);
}

/** A stored value's JSON bytes, decompressed by its codec. */
async function inflate(value: Uint8Array, where: string, dictionary?: DictionaryLoader): Promise<Buffer> {
  if (value.length < 1) throw corrupt(where, 'the value is empty');
  const payload = Buffer.from(value.buffer, value.byteOffset + 1, value.length - 1);
  let json: Buffer;
  try {
    switch (value[0]) {
      case CODEC_BYTE.none: json = payload; break;
      case CODEC_BYTE.gzip: json = await gunzip(payload); break;
      case CODEC_BYTE.brotli: json = await brotliDecompress(payload); break;
      case CODEC_BYTE.window: {
        const dict = await dictionary?.();
        if (!dict) throw corrupt(where, 'its window has no dictionary');
        const level = payload[0];
        if (level === undefined || level >= DICTIONARY_LEVELS.length) throw corrupt(where, `unknown dictionary level ${level}`);
        const out = await brotliDecompress(Buffer.concat([dict.primed[level], payload.subarray(1)]));
        const skip = Math.min(DICTIONARY_LEVELS[level], dict.text.length);
        if (out.length < skip) throw corrupt(where, 'it is shorter than its dictionary');
        json = out.subarray(skip);
        break;
      }
      default: throw corrupt(where, `unknown codec byte ${value[0]}`);
    }
  } catch (err) {
    throw err instanceof StoreError ? err : corrupt(where, 'decompression failed', err);
  }
  return json;
}
