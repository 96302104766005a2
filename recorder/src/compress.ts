/**
 * gzip for the HTTP fallback and `sendBeacon`, with the browser's own `CompressionStream`
 * (native code, no library in the bundle). Where the browser has none, bodies go as plain
 * JSON text; the relay tells the two apart by gzip's magic bytes.
 */

/** Bodies shorter than this (UTF-16 code units) are sent as they are: gzip would save next to nothing. */
export const GZIP_MIN_CHARS = 1024;

/** Whether this browser can gzip. */
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
