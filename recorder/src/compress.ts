/**
 * gzip for the HTTP fallback and `sendBeacon`. Posts are gzipped with the browser's own
 * `CompressionStream` (native code, off the page's main thread). Beacons, which cannot wait for
 * compression at unload, carry bytes compressed ahead of time by `gzipBest`: zlib's best level
 * through `pako` (a port of zlib), run in short slices between the page's own tasks. The
 * browser's stream has no level to choose, and its default level leaves about 8 % more bytes
 * on rrweb's JSON. Where neither can run, bodies go as plain JSON text; the relay tells the two
 * apart by gzip's magic bytes.
 */
import { Deflate } from 'pako';

/** Bodies shorter than this (UTF-16 code units) are sent as they are: gzip would save next to nothing. */
export const GZIP_MIN_CHARS = 1024;

/** Input bytes `gzipBest` compresses per task (a few ms of the main thread at the best level). */
export const GZIP_SLICE_BYTES = 32 * 1024;

/** Whether this browser can gzip with `CompressionStream`. */
export function canGzip(): boolean {
  return typeof CompressionStream === 'function' && typeof Blob === 'function' && typeof Response === 'function';
}

/** `text` as UTF-8 gzip bytes; `undefined` when the browser cannot (or the text is too short to gain). */
export async function gzip(text: string): Promise<Uint8Array<ArrayBuffer> | undefined> {
  if (text.length < GZIP_MIN_CHARS || !canGzip()) return undefined;
  try {
    const stream = new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch {
    return undefined;
  }
}

const nextTask = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/**
 * `text` as UTF-8 gzip bytes at zlib's best level (9), compressed `GZIP_SLICE_BYTES` at a time
 * with a task boundary between slices, so the page's input and rendering are never held for
 * long. `undefined` when the text is too short, gzip would not gain, `cancelled()` turns true
 * between slices, or compression fails.
 */
export async function gzipBest(text: string, cancelled: () => boolean = () => false): Promise<Uint8Array<ArrayBuffer> | undefined> {
  if (text.length < GZIP_MIN_CHARS || typeof TextEncoder !== 'function') return undefined;
  try {
    const input = new TextEncoder().encode(text);
    const deflate = new Deflate({ level: 9, gzip: true });
    for (let at = 0; at < input.length; at += GZIP_SLICE_BYTES) {
      if (at > 0) {
        await nextTask();
        if (cancelled()) return undefined;
      }
      const end = Math.min(at + GZIP_SLICE_BYTES, input.length);
      if (!deflate.push(input.subarray(at, end), end === input.length)) return undefined;
    }
    return deflate.err === 0 && deflate.result.length < input.length ? deflate.result : undefined;
  } catch {
    return undefined;
  }
}
