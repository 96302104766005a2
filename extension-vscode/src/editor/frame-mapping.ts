/**
 * From a stack frame to a line of a workspace file: an absolute path inside the workspace is
 * taken as it is; anything else (a URL, a path on another machine, a bundler's source name) is
 * matched by its longest path suffix; a generated file with a source map is followed to its
 * original source when that is in the workspace. No `vscode` import: the workspace is reached
 * through `WorkspaceFiles`, so that this runs (and is tested) anywhere.
 */
import { FlattenMap, GREATEST_LOWER_BOUND, LEAST_UPPER_BOUND, type TraceMap, originalPositionFor } from '@jridgewell/trace-mapping';
import {
  comparablePath, dirnameOf, framePath, isAbsolutePath, isInside, joinPath, normalizePath, pickBySuffix, segmentsOf,
} from './paths.ts';

/** The parts of a stack frame used here (`ErrorFrame` of `@sentiero/protocol` fits). */
export interface FrameLike {
  file?: string;
  line?: number;
  column?: number;
  /** Where the relay's source maps put the frame. */
  original?: { file: string; line: number; column: number };
}

/** A line in a workspace file. `path` is absolute with forward slashes; line and column are 1-based. */
export interface SourceLocation {
  path: string;
  line: number;
  column: number;
  /** How the file was found. */
  via: 'path' | 'suffix' | 'source-map';
}

/** What frame mapping needs from the workspace. */
export interface WorkspaceFiles {
  /** The workspace folders, as absolute paths. */
  readonly roots: readonly string[];
  /** Absolute paths of the workspace's files with this file name (dependencies' folders left out). */
  findByName(name: string): Promise<readonly string[]>;
  /** The text of a file, or undefined when there is no such file. */
  read(path: string): Promise<string | undefined>;
}

const GENERATED = /\.(m|c)?jsx?$/i;
const MAX_MAP_BYTES = 50 * 1024 * 1024;

/** The `sourceMappingURL` of a generated file's text (the last one wins, as in browsers). */
export function sourceMappingUrlOf(text: string): string | undefined {
  const re = /\/[/*][#@]\s*sourceMappingURL=([^\s'"*]+)/g;
  let found: string | undefined;
  for (let m = re.exec(text); m; m = re.exec(text)) found = m[1];
  return found;
}

function decodeDataUrl(url: string): string | undefined {
  const m = /^data:[^,]*?(;base64)?,(.*)$/s.exec(url);
  if (!m) return undefined;
  try {
    if (!m[1]) return decodeURIComponent(m[2]!);
    const bin = atob(m[2]!);
    return new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
  } catch {
    return undefined;
  }
}

/** A bundler's name for a source (`webpack://app/./src/x.ts`, `../src/x.ts`, `/abs/x.ts`) as a path. */
function sourcePath(source: string, mapDir: string): { path: string; absolute: boolean } | undefined {
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(source) && !/^[a-zA-Z]:[\\/]/.test(source)) return framePath(source);
  const p = source.replace(/\\/g, '/');
  return isAbsolutePath(p) ? { path: normalizePath(p), absolute: true } : { path: joinPath(mapDir, p), absolute: true };
}

/** Maps stack frames to workspace files, caching file lookups and parsed source maps until `clear()`. */
export class FrameResolver {
  private readonly byName = new Map<string, Promise<readonly string[]>>();
  private readonly maps = new Map<string, Promise<{ map: TraceMap; dir: string } | undefined>>();

  constructor(private readonly files: WorkspaceFiles) {}

  /** Forgets cached lookups (call when workspace files change). */
  clear(): void {
    this.byName.clear();
    this.maps.clear();
  }

  /** The workspace location of the first of `frames` that maps to one, or undefined. */
  async resolveFirst(frames: readonly FrameLike[]): Promise<SourceLocation | undefined> {
    for (const frame of frames) {
      const loc = await this.resolve(frame);
      if (loc) return loc;
    }
    return undefined;
  }

  /** The workspace location of one frame, or undefined when it is not in the workspace. */
  async resolve(frame: FrameLike): Promise<SourceLocation | undefined> {
    if (frame.original?.file && frame.original.line > 0) {
      const found = await this.locate(frame.original.file);
      if (found) return { path: found.path, line: frame.original.line, column: Math.max(1, frame.original.column || 1), via: found.via };
    }
    if (!frame.file || !frame.line || frame.line < 1) return undefined;
    const found = await this.locate(frame.file);
    if (!found) return undefined;
    const line = frame.line;
    const column = Math.max(1, frame.column ?? 1);
    if (GENERATED.test(found.path)) {
      const mapped = await this.throughSourceMap(found.path, line, column);
      if (mapped) return mapped;
    }
    return { path: found.path, line, column, via: found.via };
  }

  /** Finds a file in the workspace by its path or, failing that, by its longest path suffix. */
  async locate(file: string): Promise<{ path: string; via: 'path' | 'suffix' } | undefined> {
    const fp = framePath(file);
    if (!fp) return undefined;
    if (fp.absolute && this.files.roots.some((r) => isInside(fp.path, r)) && (await this.files.read(fp.path)) !== undefined) {
      return { path: fp.path, via: 'path' };
    }
    const segments = segmentsOf(fp.path);
    const name = segments[segments.length - 1];
    if (!name) return undefined;
    const picked = pickBySuffix(await this.findByName(name), segments);
    return picked ? { path: normalizePath(picked), via: 'suffix' } : undefined;
  }

  private findByName(name: string): Promise<readonly string[]> {
    let p = this.byName.get(name);
    if (!p) {
      p = this.files.findByName(name).catch(() => []);
      this.byName.set(name, p);
    }
    return p;
  }

  private async throughSourceMap(generated: string, line: number, column: number): Promise<SourceLocation | undefined> {
    const loaded = await this.loadMap(generated);
    if (!loaded) return undefined;
    let pos = originalPositionFor(loaded.map, { line, column: column - 1, bias: GREATEST_LOWER_BOUND });
    if (pos.source === null) pos = originalPositionFor(loaded.map, { line, column: column - 1, bias: LEAST_UPPER_BOUND });
    if (pos.source === null || pos.line === null) return undefined;
    const sp = sourcePath(pos.source, loaded.dir);
    if (!sp) return undefined;
    const at = { line: pos.line, column: (pos.column ?? 0) + 1 };
    if (sp.absolute && this.files.roots.some((r) => isInside(sp.path, r)) && (await this.files.read(sp.path)) !== undefined) {
      return { path: sp.path, ...at, via: 'source-map' };
    }
    const segments = segmentsOf(sp.path);
    const name = segments[segments.length - 1];
    if (!name) return undefined;
    const picked = pickBySuffix(await this.findByName(name), segments);
    return picked && comparablePath(picked) !== comparablePath(generated) ? { path: normalizePath(picked), ...at, via: 'source-map' } : undefined;
  }

  private loadMap(generated: string): Promise<{ map: TraceMap; dir: string } | undefined> {
    const key = comparablePath(generated);
    let p = this.maps.get(key);
    if (!p) {
      p = this.readMap(generated).catch(() => undefined);
      this.maps.set(key, p);
    }
    return p;
  }

  private async readMap(generated: string): Promise<{ map: TraceMap; dir: string } | undefined> {
    const text = await this.files.read(generated);
    if (text === undefined) return undefined;
    const url = sourceMappingUrlOf(text);
    let json: string | undefined;
    let mapFile = `${generated}.map`;
    if (url?.startsWith('data:')) {
      json = decodeDataUrl(url);
    } else {
      if (url && !/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(url)) {
        let rel = url;
        try {
          rel = decodeURIComponent(url);
        } catch { /* keep it as written */ }
        mapFile = joinPath(dirnameOf(generated), rel.replace(/[?#].*$/, ''));
      }
      json = await this.files.read(mapFile);
    }
    if (!json || json.length > MAX_MAP_BYTES) return undefined;
    const map = new FlattenMap(JSON.parse(json) as ConstructorParameters<typeof FlattenMap>[0]);
    return { map, dir: dirnameOf(url?.startsWith('data:') ? generated : mapFile) };
  }
}
