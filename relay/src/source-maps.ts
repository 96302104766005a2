/**
 * Maps stack frames to original files and lines through source maps (with
 * @jridgewell/trace-mapping). Maps come from the store (uploaded through the API) or from
 * `sourceMapsDir` (build output), looked up by the running file's path: for a frame in
 * `https://app.example/assets/app.min.js`, the uploaded map of `/assets/app.min.js`, else
 * `<sourceMapsDir>/assets/app.min.js.map`, else `<sourceMapsDir>/app.min.js.map`.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { TraceMap, originalPositionFor } from '@jridgewell/trace-mapping';
import type { ErrorFrame } from '@sentiero/protocol';
import type { Store } from '@sentiero/storage';
import type { Logger } from './options.ts';

/** How long a failed lookup is remembered before the store and the folder are asked again, in ms. */
const MISS_TTL_MS = 10_000;
/** Parsed maps kept in memory (least recently used dropped first). */
const MAX_CACHED = 64;

interface Cached {
  map: TraceMap | undefined;
  /** For a map read from the folder: its file and mtime, checked on each use. */
  file?: string;
  mtimeMs?: number;
  at: number;
}

/** The key a map is stored and looked up under: a URL's path, or a path with a leading `/`. */
export function sourceMapKey(file: string): string {
  let f = file;
  try {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(f)) f = decodeURI(new URL(f).pathname);
  } catch { /* not a URL */ }
  f = f.replace(/[?#].*$/, '');
  return f.startsWith('/') ? f : `/${f}`;
}

/** A source path as tooling wants it: without bundler prefixes (`webpack://app/`), `./` and leading `../`. */
export function cleanSource(source: string): string {
  return source
    .replace(/^webpack:\/\/[^/]*\//, '')
    .replace(/^[a-z][a-z0-9+.-]*:\/\/\/?/i, (m) => (m.startsWith('file:') ? '/' : ''))
    .replace(/^(?:\.\.?\/)+/, '');
}

/** Parses a source map's text; throws when it is not one. */
export function parseSourceMap(text: string): TraceMap {
  const map = new TraceMap(text);
  if (!Array.isArray((map as unknown as { sources?: unknown }).sources)) throw new TypeError('not a source map');
  return map;
}

/** Options of `SourceMaps`. */
export interface SourceMapsOptions {
  store: Store;
  /** A folder of build output with `.map` files. */
  dir: string | undefined;
  logger: Logger;
}

/** Finds, caches and applies source maps. */
export class SourceMaps {
  readonly #cache = new Map<string, Cached>();
  readonly #dir: string | undefined;

  constructor(private readonly options: SourceMapsOptions) {
    this.#dir = options.dir === undefined ? undefined : path.resolve(options.dir);
  }

  /** Checks and stores an uploaded map for `file` (a URL or path); throws a `TypeError` when `text` is not a source map. */
  async upload(file: string, text: string): Promise<string> {
    parseSourceMap(text);
    const key = sourceMapKey(file);
    await this.options.store.putSourceMap(key, text);
    this.#cache.delete(key);
    return key;
  }

  /**
   * The frames with `original` positions where a map knows them (frames without a map are
   * returned as they are). A frame mapped here also gets `original.function`: the identifier its
   * caller's mapped position names (the next frame's `original.name`, the callee at that call site).
   */
  async mapFrames(frames: readonly ErrorFrame[]): Promise<ErrorFrame[]> {
    const out: ErrorFrame[] = [];
    for (const frame of frames) out.push(await this.#mapFrame(frame));
    for (let i = 0; i + 1 < out.length; i++) {
      const o = out[i]!.original;
      const callee = frames[i + 1]!.original ? undefined : out[i + 1]!.original?.name;
      if (o && callee && !frames[i]!.original) out[i] = { ...out[i]!, original: { ...o, function: callee } };
    }
    return out;
  }

  async #mapFrame(frame: ErrorFrame): Promise<ErrorFrame> {
    if (!frame.file || frame.line === undefined || frame.column === undefined || frame.original) return frame;
    const map = await this.#lookup(sourceMapKey(frame.file));
    if (!map) return frame;
    try {
      const pos = originalPositionFor(map, { line: frame.line, column: Math.max(0, frame.column - 1) });
      if (pos.source === null || pos.line === null || pos.column === null) return frame;
      const file = cleanSource(pos.source);
      const mapped: ErrorFrame = { ...frame, original: { file, line: pos.line, column: pos.column + 1 } };
      if (pos.name) mapped.original!.name = pos.name;
      if (file.includes('node_modules/')) mapped.inApp = false;
      return mapped;
    } catch {
      return frame;
    }
  }

  async #lookup(key: string): Promise<TraceMap | undefined> {
    const now = Date.now();
    const hit = this.#cache.get(key);
    if (hit) {
      if (hit.map && hit.file === undefined) return this.#touch(key, hit).map;
      if (hit.map && hit.file !== undefined) {
        const info = await stat(hit.file).catch(() => undefined);
        if (info && info.mtimeMs === hit.mtimeMs) return this.#touch(key, hit).map;
      } else if (now - hit.at < MISS_TTL_MS) return undefined;
    }
    const found = await this.#load(key).catch((err: unknown) => {
      this.options.logger.warn(`the source map for ${key} could not be read: ${(err as Error).message}`);
      return { map: undefined, at: now } as Cached;
    });
    this.#touch(key, found);
    return found.map;
  }

  #touch(key: string, entry: Cached): Cached {
    this.#cache.delete(key);
    this.#cache.set(key, entry);
    if (this.#cache.size > MAX_CACHED) this.#cache.delete(this.#cache.keys().next().value as string);
    return entry;
  }

  async #load(key: string): Promise<Cached> {
    const at = Date.now();
    const stored = await this.options.store.getSourceMap(key);
    if (stored !== undefined) return { map: parseSourceMap(stored), at };
    if (this.#dir === undefined) return { map: undefined, at };
    for (const candidate of [`${key}.map`, `/${path.posix.basename(key)}.map`]) {
      const file = path.resolve(this.#dir, `.${path.posix.normalize(candidate)}`);
      if (file !== this.#dir && !file.startsWith(`${this.#dir}${path.sep}`)) continue;
      const info = await stat(file).catch(() => undefined);
      if (!info?.isFile()) continue;
      return { map: parseSourceMap(await readFile(file, 'utf8')), file, mtimeMs: info.mtimeMs, at };
    }
    return { map: undefined, at };
  }
}
