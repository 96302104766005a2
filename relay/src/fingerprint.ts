/**
 * The fingerprint that groups occurrences: the error's type and its normalised in-app frames.
 * A frame mapped through a source map counts by its original file and line (the bundle's
 * positions move with every build; the source's only when the code changes); any other frame
 * by its file (host, query, content hashes and the working directory left out) and function
 * name, without line numbers. Without in-app frames, the message counts instead, with ids,
 * numbers and URLs taken out.
 */
import { createHash } from 'node:crypto';
import type { ErrorFrame } from '@sentiero/protocol';

/** How many in-app frames count (the innermost ones). */
const FRAMES_COUNTED = 20;

const cwd = (() => {
  try {
    return process.cwd();
  } catch {
    return '';
  }
})();

/** A file without what changes between deployments: scheme and host, query and hash, content hashes, the working directory. */
export function normalizeFile(file: string): string {
  let f = file;
  try {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(f)) f = new URL(f).pathname;
  } catch { /* not a URL after all */ }
  f = f.replace(/[?#].*$/, '');
  if (cwd && f.startsWith(cwd)) f = f.slice(cwd.length);
  // app.3f9a2c1b.js, chunk-5FQ7XJ2K.js, main-abcdef12.js → app.js, chunk.js, main.js
  f = f.replace(/[.-](?=[0-9a-z]*\d)(?=[0-9a-z]*[a-z])[0-9a-z]{8,}(?=\.[a-z]+$)/i, '');
  return f;
}

/** A function name without what the runtime adds (`async `, `new `, ` [as name]`, `Object.`). */
export function normalizeFunction(fn: string | undefined): string {
  if (!fn) return '';
  return fn.replace(/^(?:async |new )+/, '').replace(/ \[as [^\]]*\]$/, '').replace(/^Object\./, '').replace(/<anonymous>/g, '');
}

/** A message without what differs between occurrences of the same error: URLs, emails, uuids, hex ids, numbers. */
export function normalizeMessage(message: string): string {
  return message
    .replace(/\b[a-z][a-z0-9+.-]*:\/\/\S+/gi, '<url>')
    .replace(/[\w.+-]+@[\w-]+\.[\w.-]+/g, '<email>')
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<uuid>')
    .replace(/\b(?=[0-9a-f]*\d)[0-9a-f]{8,}\b/gi, '<id>')
    .replace(/\d+(?:\.\d+)?/g, '<n>')
    .slice(0, 1024);
}

function frameKey(frame: ErrorFrame): string {
  if (frame.original) return `${frame.original.file}:${frame.original.line}`;
  return `${normalizeFile(frame.file ?? '')}:${normalizeFunction(frame.function)}`;
}

/** The group id of an error: 32 hex digits of a SHA-256 over its type and normalised in-app frames (or message). */
export function fingerprint(name: string, message: string, frames: readonly ErrorFrame[]): string {
  const inApp = frames.filter((f) => f.inApp).slice(0, FRAMES_COUNTED);
  const parts = [name || 'Error'];
  if (inApp.length) parts.push(...inApp.map(frameKey));
  else parts.push(`message:${normalizeMessage(message)}`);
  return createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 32);
}
