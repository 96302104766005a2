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
  /** Brotli at quality 5 against the window's dictionary (its first 64 KiB of batches): about 7 % of the raw JSON. */
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

/** The window codec's brotli quality: 5 matches far better than 4 across the dictionary (0.070 of the raw JSON against 0.083 with 64 KiB). */
export const WINDOW_QUALITY = 5;
/** The window codec's brotli window, as log2 bytes: the dictionary and a batch of up to 4 MiB in one window. */
export const WINDOW_BITS = 22;
/** How much of a window's first batches its dictionary holds (the last bytes of their text, in arrival order). */
export const DICTIONARY_BYTES = 64 * 1024;

const CODEC_BYTE = { none: 0, gzip: 1, brotli: 2, window: 3 } as const;

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

/** A window's dictionary: its text, and the brotli stream that text starts, flushed. */
export interface Dictionary {
  text: Buffer;
  primed: Buffer;
}

const WINDOW_PARAMS = { [zlib.constants.BROTLI_PARAM_QUALITY]: WINDOW_QUALITY, [zlib.constants.BROTLI_PARAM_LGWIN]: WINDOW_BITS };

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

/** A dictionary of the given text (the last `DICTIONARY_BYTES` of it). */
export async function createDictionary(text: Buffer): Promise<Dictionary> {
  const tail = Buffer.from(text.subarray(Math.max(0, text.length - DICTIONARY_BYTES)));
  const { primed } = await primedStream(tail, Buffer.alloc(0));
  return { text: tail, primed };
}

/** A dictionary as stored: its text's length (4 bytes, big-endian), then `primed`. */
export function encodeDictionary(dictionary: Dictionary): Uint8Array {
  const out = Buffer.alloc(4 + dictionary.primed.length);
  out.writeUInt32BE(dictionary.text.length, 0);
  dictionary.primed.copy(out, 4);
  return out;
}

/** Reads a stored dictionary back (its text decompressed from `primed`); anything else is `STORE_CORRUPT`, naming `where`. */
export async function decodeDictionary(value: Uint8Array, where: string): Promise<Dictionary> {
  const bad = (why: string, cause?: unknown): StoreError =>
    new StoreError(StoreErrorCode.CORRUPT, `the dictionary ${where} cannot be decoded: ${why}`, cause === undefined ? undefined : { cause });
  if (value.length < 5) throw bad('it is too short');
  const buf = Buffer.from(value.buffer, value.byteOffset, value.length);
  const length = buf.readUInt32BE(0);
  const primed = Buffer.from(buf.subarray(4));
  let text: Buffer;
  try {
    text = await new Promise<Buffer>((resolve, reject) => {
      const stream = zlib.createBrotliDecompress();
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.once('error', reject);
      stream.write(primed);
      stream.flush(() => {
        resolve(Buffer.concat(chunks));
        stream.destroy();
      });
    });
  } catch (err) {
    throw bad('decompression failed', err);
  }
  if (text.length !== length) throw bad(`it holds ${text.length} bytes of text, not ${length}`);
  return { text, primed };
}

/** Encodes a batch's body for storage. */
export async function encodeBatch(body: BatchBody, compression: Compression, dictionary?: Dictionary): Promise<Uint8Array> {
  return encodeBatchText(Buffer.from(batchText(body), 'utf8'), compression, dictionary);
}

/**
 * Encodes a batch's text (`batchText`) for storage. The window codec needs the window's
 * dictionary; without one (the window's first batches), and should this brotli not prime
 * the dictionary to the bytes stored, the batch is compressed on its own as with `'brotli'`.
 */
export async function encodeBatchText(json: Buffer, compression: Compression, dictionary?: Dictionary): Promise<Uint8Array> {
  if (compression === Compression.BROTLI_WINDOW && dictionary) {
    const { primed, after } = await primedStream(dictionary.text, json);
    if (primed.equals(dictionary.primed)) return withCodec(CODEC_BYTE.window, after);
  }
  let payload: Buffer;
  let codec: number = CODEC_BYTE.none;
  if (compression === Compression.BROTLI || compression === Compression.BROTLI_WINDOW) {
    codec = CODEC_BYTE.brotli;
    payload = await brotliCompress(json, {
      params: {
        [zlib.constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY,
        [zlib.constants.BROTLI_PARAM_LGWIN]: BROTLI_WINDOW_BITS,
        [zlib.constants.BROTLI_PARAM_SIZE_HINT]: json.length,
      },
    });
  } else if (compression === Compression.GZIP) {
    codec = CODEC_BYTE.gzip;
    payload = await gzip(json, { level: GZIP_LEVEL });
  } else {
    payload = json;
  }
  return withCodec(codec, payload);
}

function withCodec(codec: number, payload: Buffer): Uint8Array {
  const out = new Uint8Array(payload.length + 1);
  out[0] = codec;
  out.set(payload, 1);
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
        const out = await brotliDecompress(Buffer.concat([dict.primed, payload]));
        if (out.length < dict.text.length) throw corrupt(where, 'it is shorter than its dictionary');
        json = out.subarray(dict.text.length);
        break;
      }
      default: throw corrupt(where, `unknown codec byte ${value[0]}`);
    }
  } catch (err) {
    throw err instanceof StoreError ? err : corrupt(where, 'decompression failed', err);
  }
  return json;
}
