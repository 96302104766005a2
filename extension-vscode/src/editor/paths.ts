/**
 * Path arithmetic for stack frames, the same for POSIX and Windows paths and for URLs:
 * everything is turned into forward-slash paths and segments, with no `node:path` (whose
 * behaviour depends on the platform the extension host happens to run on).
 */

/** A path with forward slashes, `.` and `..` resolved; a Windows drive keeps its letter (`C:/x`). */
export function normalizePath(p: string): string {
  const unc = /^[\\/]{2}[^\\/]/.test(p);
  const parts = p.replace(/\\/g, '/').split('/');
  const out: string[] = [];
  const absolute = parts[0] === '' || /^[a-zA-Z]:$/.test(parts[0]!);
  for (const [i, part] of parts.entries()) {
    if (i === 0 && absolute) {
      out.push(part);
      continue;
    }
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > (absolute ? 1 : 0) && out[out.length - 1] !== '..') out.pop();
      else if (!absolute) out.push('..');
      continue;
    }
    out.push(part);
  }
  const joined = out.join('/');
  if (unc) return `/${joined}`;
  if (absolute && out.length === 1) return `${out[0]}/`;
  return joined;
}

/** Whether a path (already normalized) is absolute: `/x`, `C:/x` or a UNC path. */
export function isAbsolutePath(p: string): boolean {
  return p.startsWith('/') || /^[a-zA-Z]:\//.test(p);
}

/** Whether a path is a Windows one (drive letter or UNC), whose comparisons ignore case. */
export function isWindowsPath(p: string): boolean {
  return /^[a-zA-Z]:[\\/]/.test(p) || /^[\\/]{2}[^\\/]/.test(p);
}

/** A key under which two spellings of the same file compare equal (case folded on Windows). */
export function comparablePath(p: string): string {
  const n = normalizePath(p);
  return isWindowsPath(p) ? n.toLowerCase() : n;
}

/** Whether `file` is `root` or inside it. */
export function isInside(file: string, root: string): boolean {
  const f = comparablePath(file);
  const r = comparablePath(root).replace(/\/$/, '');
  return f === r || f.startsWith(`${r}/`);
}

/** The folder part of a normalized path. */
export function dirnameOf(p: string): string {
  const n = normalizePath(p);
  const i = n.lastIndexOf('/');
  if (i < 0) return '.';
  if (i === 0) return '/';
  if (/^[a-zA-Z]:$/.test(n.slice(0, i))) return n.slice(0, i + 1);
  return n.slice(0, i);
}

/** Joins path parts and normalizes; an absolute part restarts the path. */
export function joinPath(...parts: string[]): string {
  let acc = '';
  for (const part of parts) {
    if (!part) continue;
    const p = part.replace(/\\/g, '/');
    acc = isAbsolutePath(p) || !acc ? p : `${acc.replace(/\/$/, '')}/${p}`;
  }
  return normalizePath(acc);
}

const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):/;

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * Where a frame's file is, as a path: a local path is kept, `file://` URLs become paths, and any
 * other URL (`http://host/app.js`, `webpack://app/./src/x.ts`, `webpack-internal:///./x.ts`) keeps
 * only its path, relative. Runtime frames (`node:internal/…`, `<anonymous>`, `native`) give undefined.
 */
export function framePath(file: string): { path: string; absolute: boolean } | undefined {
  const text = file.trim();
  if (!text || text.startsWith('<') || text === 'native' || /^(node|internal|eval|data|blob|chrome-extension|moz-extension):/.test(text)) {
    return undefined;
  }
  if (isWindowsPath(text)) return { path: normalizePath(text), absolute: true };
  if (text.startsWith('file:')) {
    const rest = decode(text.replace(/^file:\/\/[^/]*/, '').replace(/[?#].*$/, ''));
    const p = /^\/[a-zA-Z]:\//.test(rest) ? rest.slice(1) : rest;
    return { path: normalizePath(p), absolute: true };
  }
  const scheme = SCHEME.exec(text);
  if (scheme) {
    const afterScheme = text.slice(scheme[0].length).replace(/[?#].*$/, '');
    // `scheme://authority/path`: drop the authority (a host, or a bundler's namespace).
    const withoutAuthority = afterScheme.startsWith('//') ? afterScheme.slice(2).replace(/^[^/]*/, '') : afterScheme;
    const rel = normalizePath(decode(withoutAuthority).replace(/^\/+/, ''));
    return rel && rel !== '.' ? { path: rel.replace(/^(\.\.\/)+/, ''), absolute: false } : undefined;
  }
  const p = normalizePath(text);
  return { path: isAbsolutePath(p) ? p : p.replace(/^(\.\.\/)+/, ''), absolute: isAbsolutePath(p) };
}

/** The non-empty segments of a path, last one being the file name. */
export function segmentsOf(p: string): string[] {
  return normalizePath(p).split('/').filter((s) => s && s !== '.' && s !== '..' && !/^[a-zA-Z]:$/.test(s));
}

/** How many trailing segments `candidate` shares with `segments` (0 when the file names differ). */
export function suffixScore(candidate: string, segments: readonly string[], caseInsensitive = isWindowsPath(candidate)): number {
  const c = segmentsOf(candidate);
  let n = 0;
  while (n < c.length && n < segments.length) {
    const a = c[c.length - 1 - n]!;
    const b = segments[segments.length - 1 - n]!;
    if (caseInsensitive ? a.toLowerCase() !== b.toLowerCase() : a !== b) break;
    n++;
  }
  return n;
}

/**
 * The one candidate that shares the longest suffix with `segments`, or undefined when none
 * shares the file name or the best score is shared (an ambiguous match is not shown, so that
 * an error is never put next to the wrong code).
 */
export function pickBySuffix(candidates: readonly string[], segments: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = 0;
  let tie = false;
  for (const c of candidates) {
    const score = suffixScore(c, segments);
    if (score > bestScore) {
      best = c;
      bestScore = score;
      tie = false;
    } else if (score === bestScore && score > 0 && comparablePath(c) !== comparablePath(best!)) {
      tie = true;
    }
  }
  return bestScore > 0 && !tie ? best : undefined;
}
